import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { decryptFile } from './decrypt-file.js';
import { SopsDecryptError } from './errors.js';
import { newKey, type TestKey, tempDir, writeKeyFile } from './test-support/keys.js';
import { type EncryptOptions, sopsEncrypt } from './test-support/sops-encryptor.js';

const ENC_RE =
  /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]{44},tag:[A-Za-z0-9+/=]{24},type:(str|int|float|bool|comment)\]$/;

let dir: string;
let k1: TestKey;
let k2: TestKey;
let k3: TestKey;
let keysFile: string;

beforeAll(async () => {
  dir = await tempDir();
  [k1, k2, k3] = await Promise.all([newKey(), newKey(), newKey()]);
  keysFile = await writeKeyFile(dir, [k1 as TestKey]);
});

async function roundTrip(
  name: string,
  o: Omit<EncryptOptions, 'recipients'> & { recipients?: string[] },
  keys = keysFile,
) {
  const encrypted = await sopsEncrypt({ recipients: [k1.recipient], ...o });
  const path = join(dir, name);
  await writeFile(path, encrypted);
  return { encrypted, out: await decryptFile(path, { keysFile: keys }) };
}

const YAML_DOC = `# top comment
名前: 値
big: 9007199254740993
min: -9223372036854775808
f1: 1e21
f2: 0.0000001
f3: 25.4
flag: true
list:
    # first item
    - a
    # second item
    - 7
    - nested: inside
nested_unencrypted:
    keep: clear
---
# second document
second: doc
n: 1
`;

describe('hand-made fixtures from the test-only encryptor', () => {
  it('lays files out like real sops output (metadata fields, ENC[] values, encrypted MAC)', async () => {
    const encrypted = await sopsEncrypt({ format: 'yaml', plaintext: YAML_DOC, recipients: [k1.recipient] });
    const [first, second] = parseAllDocuments(encrypted).map((d) => d.toJS());
    expect(Object.keys(first.sops)).toEqual(['age', 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    expect(first.sops.age[0].recipient).toBe(k1.recipient);
    expect(first.sops.age[0].enc).toMatch(
      /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/,
    );
    expect(first.sops.mac).toMatch(ENC_RE);
    expect(first.big).toMatch(/type:int\]$/);
    expect(first.f1).toMatch(/type:float\]$/);
    expect(first.flag).toMatch(/type:bool\]$/);
    expect(first.nested_unencrypted.keep).toBe('clear');
    expect(second.sops.mac).toBe(first.sops.mac);
    expect(encrypted).toMatch(/^#ENC\[AES256_GCM,.*type:comment\]$/m);
  });

  it('multi-document YAML: data tree, comments, big integers, floats and unicode keys survive', async () => {
    const { out } = await roundTrip('multi.yaml', { format: 'yaml', plaintext: YAML_DOC });
    const text = out.toString('utf8');
    const docs = parseAllDocuments(text, { intAsBigInt: true }).map((d) => d.toJS());
    expect(docs).toEqual(parseAllDocuments(YAML_DOC, { intAsBigInt: true }).map((d) => d.toJS()));
    expect(docs[0].big).toBe(9007199254740993n);
    expect(docs[0].min).toBe(-9223372036854775808n);
    expect(docs[0].f1).toBe(1e21);
    expect(docs[0].f2).toBe(0.0000001);
    for (const c of ['# top comment', '# first item', '# second item', '# second document'])
      expect(text).toContain(c);
    expect(text).not.toContain('ENC[');
    expect(text).not.toContain('sops:');
  });

  it('YAML output quotes strings a yaml.v3 reader would re-type', async () => {
    const plaintext = 'mode: "0755"\nday: "2001-12-14"\nyes: "true"\nnum: 12\n';
    const { out } = await roundTrip('quote.yaml', { format: 'yaml', plaintext });
    expect(out.toString()).toBe('mode: "0755"\nday: "2001-12-14"\nyes: "true"\nnum: 12\n');
  });

  it('JSON keeps key order (numeric-like and unicode keys) and exact big integers', async () => {
    const plaintext =
      '{"2": "two", "1": "one", "ключ": "значение", "big": 9007199254740993, "f": 1e21, "tiny": 0.0000001, "n": null, "arr": [1, true, "x"]}';
    const { out } = await roundTrip('order.json', { format: 'json', plaintext });
    const text = out.toString('utf8');
    expect(text).toContain('"big": 9007199254740993');
    expect([...text.matchAll(/^\t"([^"]+)"/gm)].map((m) => m[1])).toEqual([
      '2',
      '1',
      'ключ',
      'big',
      'f',
      'tiny',
      'n',
      'arr',
    ]);
    expect(JSON.parse(text)).toEqual(JSON.parse(plaintext));
  });

  it('CRLF dotenv comes back byte-identical', async () => {
    const plaintext = 'A=one\r\n#comment\r\nB= two \r\nMULTI=line1\\nline2\r\n';
    const { out } = await roundTrip('crlf.env', { format: 'dotenv', plaintext });
    expect(out.toString('utf8')).toBe(plaintext);
  });

  it('binary files come back byte-identical', async () => {
    const plaintext = 'line one\nline two\n\tend';
    const { out } = await roundTrip('blob.bin', { format: 'binary', plaintext });
    expect(out.toString('utf8')).toBe(plaintext);
  });

  it('mac_only_encrypted: clear values are outside the MAC, encrypted ones inside', async () => {
    const plaintext = 'secret_token: s3cr3t\npublic: hello\n';
    const onlyEnc = await sopsEncrypt({
      format: 'yaml',
      plaintext,
      recipients: [k1.recipient],
      encryptedRegex: '^secret',
      macOnlyEncrypted: true,
    });
    expect(parseYaml(onlyEnc).sops.mac_only_encrypted).toBe(true);
    const path = join(dir, 'maconly.yaml');
    await writeFile(path, onlyEnc.replace('public: hello', 'public: changed'));
    expect(parseYaml((await decryptFile(path, { keysFile })).toString())).toEqual({
      secret_token: 's3cr3t',
      public: 'changed',
    });

    const full = await sopsEncrypt({
      format: 'yaml',
      plaintext,
      recipients: [k1.recipient],
      encryptedRegex: '^secret',
    });
    await writeFile(path, full.replace('public: hello', 'public: changed'));
    await expect(decryptFile(path, { keysFile })).rejects.toMatchObject({ code: 'MAC_MISMATCH' });
  });

  it('encrypted_suffix and unencrypted_regex decide which leaves are encrypted', async () => {
    const plaintext = 'db_secret: pw\nname: app\n';
    const suffix = await roundTrip('suffix.yaml', { format: 'yaml', plaintext, encryptedSuffix: '_secret' });
    expect(parseYaml(suffix.encrypted).name).toBe('app');
    expect(parseYaml(suffix.out.toString())).toEqual({ db_secret: 'pw', name: 'app' });
    const regex = await roundTrip('regex.yaml', { format: 'yaml', plaintext, unencryptedRegex: '^name$' });
    expect(parseYaml(regex.encrypted).name).toBe('app');
    expect(parseYaml(regex.out.toString())).toEqual({ db_secret: 'pw', name: 'app' });
  });

  it('Shamir key groups: any threshold of groups recovers the data key, fewer do not', async () => {
    const plaintext = 'API_KEY=abc\n';
    const enc = await sopsEncrypt({
      format: 'dotenv',
      plaintext,
      keyGroups: [[k1.recipient], [k2.recipient], [k3.recipient]],
      threshold: 2,
    });
    expect(enc).toContain('sops_shamir_threshold=2\n');
    expect(enc).toMatch(/^sops_key_groups__list_2__map_age__list_0__map_recipient=/m);
    const path = join(dir, 'shamir.env');
    await writeFile(path, enc);
    const k13 = await writeKeyFile(dir, [k1, k3], 'k13.txt');
    const k2only = await writeKeyFile(dir, [k2], 'k2.txt');
    expect((await decryptFile(path, { keysFile: k13 })).toString()).toBe(plaintext);
    const err = await decryptFile(path, { keysFile: k2only }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SopsDecryptError);
    expect(err).toMatchObject({ code: 'NO_MATCHING_KEY' });
    expect((err as Error).message).toContain('1 of the 2 key groups');
  });
});
