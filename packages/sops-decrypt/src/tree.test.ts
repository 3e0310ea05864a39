import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { newKey, type TestKey, tempDir, writeKeyFile } from './test-support/keys.js';
import { sopsEncrypt } from './test-support/sops-encryptor.js';
import { decryptTree, findSopsFiles } from './tree.js';

let root: string;
let keysFile: string;
let key: TestKey;

async function put(rel: string, content: string): Promise<void> {
  const path = join(root, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

beforeEach(async () => {
  root = await tempDir();
  key = await newKey();
  keysFile = await writeKeyFile(await tempDir(), [key]);
  const r = [key.recipient];
  await put('app/secrets.yaml', await sopsEncrypt({ format: 'yaml', plaintext: 'db: pw1\n', recipients: r }));
  await put('app/plain.yaml', 'sops: not really\nmac: nope\n');
  await put(
    'app/sub/api.env',
    await sopsEncrypt({ format: 'dotenv', plaintext: 'TOKEN=t0k\n', recipients: r }),
  );
  await put('config.json', '{"sops": {"mac": "x"}}');
  await put('tls/key.pem', await sopsEncrypt({ format: 'binary', plaintext: 'PEM-DATA\n', recipients: r }));
  await put('z.json', await sopsEncrypt({ format: 'json', plaintext: '{"a": "b"}', recipients: r }));
  await put('notes.txt', 'hello\n');
  await symlink(join(root, 'app/secrets.yaml'), join(root, 'link.yaml'));
});

describe('tree API', () => {
  it('findSopsFiles lists SOPS documents only, sorted, relative, without following symlinks', async () => {
    expect(await findSopsFiles(root)).toEqual([
      'app/secrets.yaml',
      'app/sub/api.env',
      'tls/key.pem',
      'z.json',
    ]);
  });

  it('decryptTree decrypts every secret file in place and returns their paths', async () => {
    expect(await decryptTree(root, { keysFile })).toEqual([
      'app/secrets.yaml',
      'app/sub/api.env',
      'tls/key.pem',
      'z.json',
    ]);
    expect(parseYaml(await readFile(join(root, 'app/secrets.yaml'), 'utf8'))).toEqual({ db: 'pw1' });
    expect(await readFile(join(root, 'app/sub/api.env'), 'utf8')).toBe('TOKEN=t0k\n');
    expect(await readFile(join(root, 'tls/key.pem'), 'utf8')).toBe('PEM-DATA\n');
    expect(await readFile(join(root, 'notes.txt'), 'utf8')).toBe('hello\n');
    expect(await findSopsFiles(root)).toEqual([]);
  });

  it('on any failure nothing decrypted is left behind', async () => {
    const before = await readFile(join(root, 'app/secrets.yaml'), 'utf8');
    const tampered = (await readFile(join(root, 'z.json'), 'utf8')).replace(
      /"a": "ENC\[AES256_GCM,data:(.)/,
      (_m, c: string) => `"a": "ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`,
    );
    await put('z.json', tampered);
    await expect(decryptTree(root, { keysFile })).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
      file: join(root, 'z.json'),
    });
    expect(await readFile(join(root, 'app/secrets.yaml'), 'utf8')).toBe(before);
    expect(await findSopsFiles(root)).toEqual([
      'app/secrets.yaml',
      'app/sub/api.env',
      'tls/key.pem',
      'z.json',
    ]);
  });

  it('uses the external backend when sopsBinary is set', async () => {
    const bin = join(root, '..', `fake-sops-${Date.now()}`);
    await writeFile(
      bin,
      `#!${process.execPath}\nprocess.stdout.write('decrypted:' + require('node:path').basename(process.argv[3]));\n`,
      { mode: 0o755 },
    );
    expect(await decryptTree(root, { sopsBinary: bin, keysFile })).toHaveLength(4);
    expect(await readFile(join(root, 'app/sub/api.env'), 'utf8')).toBe('decrypted:api.env');
  });
});
