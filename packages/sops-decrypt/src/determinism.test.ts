import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from './decrypt-file.js';
import { newKey, tempDir, writeKeyFile } from './test-support/keys.js';
import { type EncryptOptions, sopsEncrypt } from './test-support/sops-encryptor.js';

const DOCS: Array<{ name: string; format: EncryptOptions['format']; plain: string; changed: string }> = [
  {
    name: 'a.yaml',
    format: 'yaml',
    plain: '# c\nk: v\nn: 3\nl:\n    - 1.5\n',
    changed: '# c\nk: w\nn: 3\nl:\n    - 1.5\n',
  },
  { name: 'a.json', format: 'json', plain: '{"k": "v", "n": 3}', changed: '{"k": "v", "n": 4}' },
  { name: 'a.env', format: 'dotenv', plain: '#c\nK=v\n', changed: '#c\nK=w\n' },
  { name: 'a.bin', format: 'binary', plain: 'blob', changed: 'blob!' },
];

let dir: string;
let recipient: string;
let keysFile: string;

beforeAll(async () => {
  dir = await tempDir();
  const k = await newKey();
  recipient = k.recipient;
  keysFile = await writeKeyFile(dir, [k]);
});

async function decrypted(
  name: string,
  format: EncryptOptions['format'],
  plaintext: string,
  lastModified: string,
) {
  const path = join(dir, name);
  await writeFile(path, await sopsEncrypt({ format, plaintext, recipients: [recipient], lastModified }));
  return decryptFile(path, { keysFile });
}

describe('decrypted output is deterministic', () => {
  for (const d of DOCS) {
    it(`${d.format}: a new data key gives identical bytes; a changed value changes them`, async () => {
      const first = await decrypted(d.name, d.format, d.plain, '2026-01-01T00:00:00Z');
      const again = await decrypted(d.name, d.format, d.plain, '2026-02-02T00:00:00Z');
      const changed = await decrypted(d.name, d.format, d.changed, '2026-01-01T00:00:00Z');
      expect(again.equals(first)).toBe(true);
      expect(changed.equals(first)).toBe(false);
    });
  }
});
