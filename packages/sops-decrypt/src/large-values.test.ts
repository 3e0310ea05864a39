import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from './decrypt-file.js';
import { newKey, type TestKey, tempDir, writeKeyFile } from './test-support/keys.js';
import { sopsEncrypt } from './test-support/sops-encryptor.js';

// A value of several MiB: sops handles it, so must the decryptor, and a failure on it must say
// what it is (a bad value is not "tampered"; only a failed authentication is).
const FOUR_MIB = 4 * 1024 * 1024;

let dir: string;
let key: TestKey;
let keysFile: string;

beforeAll(async () => {
  dir = await tempDir();
  key = await newKey();
  keysFile = await writeKeyFile(dir, [key]);
});

async function encryptedBinary(bytes: Buffer): Promise<string> {
  return sopsEncrypt({ format: 'binary', plaintext: bytes, recipients: [key.recipient] });
}

/** The file with the base64 data of its `data` value changed by `edit`. */
function editData(file: string, edit: (base64: string) => string): string {
  return file.replace(/"data": "ENC\[AES256_GCM,data:([^,]*),/, (_all, data: string) => {
    return `"data": "ENC[AES256_GCM,data:${edit(data)},`;
  });
}

async function decrypt(name: string, text: string) {
  const path = join(dir, name);
  await writeFile(path, text);
  return decryptFile(path, { keysFile });
}

describe('values of several MiB', () => {
  it('a 4 MiB binary secret (any bytes) decrypts byte-identical', { timeout: 60_000 }, async () => {
    const secret = randomBytes(FOUR_MIB);
    const out = await decrypt('big.bin', await encryptedBinary(secret));
    expect(out.length).toBe(FOUR_MIB);
    expect(out.equals(secret)).toBe(true);
  });

  it('a 4 MiB value that is not base64 is a format error, not tampering', { timeout: 60_000 }, async () => {
    const file = editData(
      await encryptedBinary(randomBytes(FOUR_MIB)),
      (data) => `${data.slice(0, -8)}!!!!!!!!`,
    );
    await expect(decrypt('bad-base64.bin', file)).rejects.toMatchObject({
      code: 'BAD_FORMAT',
      message: expect.stringMatching(/bad-base64\.bin: value at data is not a valid sops ENC\[\] value$/),
    });
  });

  it('a 4 MiB value with a changed byte fails authentication', { timeout: 60_000 }, async () => {
    const file = editData(await encryptedBinary(randomBytes(FOUR_MIB)), (data) =>
      data.startsWith('A') ? `B${data.slice(1)}` : `A${data.slice(1)}`,
    );
    await expect(decrypt('changed.bin', file)).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
      message: expect.stringMatching(/changed\.bin: cannot decrypt value at data \(authentication failed/),
    });
  });
});
