import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from './decrypt-file.js';
import { SopsDecryptError, type SopsDecryptErrorCode } from './errors.js';
import { newKey, type TestKey, tempDir, writeKeyFile } from './test-support/keys.js';
import { sopsEncrypt } from './test-support/sops-encryptor.js';

const SECRETS = ['hunter2-super-secret', 'tok-XYZ-plaintext-42', 'a private note'];
const PLAIN = `# ${SECRETS[2]}
password: ${SECRETS[0]}
token: ${SECRETS[1]}
public_unencrypted: visible
`;

let dir: string;
let key: TestKey;
let other: TestKey;
let keysFile: string;
let encrypted: string;

beforeAll(async () => {
  dir = await tempDir();
  [key, other] = await Promise.all([newKey(), newKey()]);
  keysFile = await writeKeyFile(dir, [key]);
  encrypted = await sopsEncrypt({ format: 'yaml', plaintext: PLAIN, recipients: [key.recipient] });
});

const leafText = (text: string, k: string): string => new RegExp(`^${k}: (.*)$`, 'm').exec(text)?.[1] ?? '';
function flipData(enc: string): string {
  return enc.replace(/data:(.)/, (_, c: string) => `data:${c === 'A' ? 'B' : 'A'}`);
}

const CASES: Array<{
  name: string;
  code: SopsDecryptErrorCode;
  mutate?: (t: string) => string;
  keys?: () => Promise<string>;
}> = [
  {
    name: 'tampered ciphertext',
    code: 'DECRYPT_FAILED',
    mutate: (t) => t.replace(leafText(t, 'password'), flipData(leafText(t, 'password'))),
  },
  {
    name: 'values swapped between keys',
    code: 'DECRYPT_FAILED',
    mutate: (t) => {
      const p = leafText(t, 'password');
      const k = leafText(t, 'token');
      return t.replace(`password: ${p}`, `password: ${k}`).replace(`token: ${k}`, `token: ${p}`);
    },
  },
  {
    name: 'tampered clear (MAC-covered) value',
    code: 'MAC_MISMATCH',
    mutate: (t) => t.replace('public_unencrypted: visible', 'public_unencrypted: altered'),
  },
  { name: 'removed value', code: 'MAC_MISMATCH', mutate: (t) => t.replace(/^token: .*\n/m, '') },
  {
    name: 'altered lastmodified',
    code: 'MAC_MISMATCH',
    mutate: (t) => t.replace('2026-01-02T03:04:05Z', '2026-01-02T03:04:06Z'),
  },
  { name: 'wrong key', code: 'NO_MATCHING_KEY', keys: () => writeKeyFile(dir, [other], 'other.txt') },
  {
    name: 'truncated armor',
    code: 'BAD_FORMAT',
    mutate: (t) => t.replace(/(-----BEGIN AGE ENCRYPTED FILE-----\n)(.*\n){2}/, '$1'),
  },
  { name: 'missing sops metadata', code: 'NOT_SOPS', mutate: (t) => t.slice(0, t.indexOf('sops:')) },
  {
    name: 'plugin identity in the key file',
    code: 'UNSUPPORTED_IDENTITY',
    keys: async () => {
      const p = join(dir, 'plugin.txt');
      await writeFile(
        p,
        `# yubikey\nAGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n${key.identity}\n`,
      );
      return p;
    },
  },
  {
    name: 'SSH key in the key file',
    code: 'UNSUPPORTED_IDENTITY',
    keys: async () => {
      const p = join(dir, 'ssh.txt');
      await writeFile(
        p,
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      );
      return p;
    },
  },
  {
    name: 'malformed identity',
    code: 'BAD_KEY_FILE',
    keys: async () => {
      const p = join(dir, 'bad.txt');
      await writeFile(p, `${key.identity.slice(0, -3)}XYZ\n`);
      return p;
    },
  },
];

describe('failures are clear errors naming the file, with no plaintext', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const file = join(dir, `${c.name.replaceAll(' ', '-')}.yaml`);
      await writeFile(file, c.mutate ? c.mutate(encrypted) : encrypted);
      const keys = c.keys ? await c.keys() : keysFile;
      const err = await decryptFile(file, { keysFile: keys }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SopsDecryptError);
      const e = err as SopsDecryptError;
      expect(e.code).toBe(c.code);
      expect(e.message).toContain(
        c.code === 'UNSUPPORTED_IDENTITY' || c.code === 'BAD_KEY_FILE' ? keys : file,
      );
      if (c.code === 'UNSUPPORTED_IDENTITY' || c.code === 'BAD_KEY_FILE') expect(e.line).toBeGreaterThan(0);
      const surfaces = [e.message, e.stack ?? '', JSON.stringify(e), String(e.cause ?? '')];
      for (const s of surfaces) {
        for (const secret of [...SECRETS, key.identity, other.identity]) expect(s).not.toContain(secret);
        expect(s).not.toContain('ENC[');
      }
    });
  }

  it('a valid file decrypts (the cases above fail for their stated reason only)', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, encrypted);
    const out = (await decryptFile(file, { keysFile })).toString();
    for (const s of SECRETS) expect(out).toContain(s);
  });
});
