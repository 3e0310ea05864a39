import { randomBytes } from 'node:crypto';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashDeployment } from '@stow/content-hasher';
import { findSopsFiles, SopsDecryptError } from '@stow/sops-decrypt';
import { newKey, sopsEncrypt, type TestKey, writeKeyFile } from '@stow/sops-decrypt/test-support';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decryptAndHash } from './secrets.js';
import { hashAndFindSopsFiles } from './sops-scan.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const scratch = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-sops-scan-'));
  dirs.push(dir);
  return dir;
};

async function writeFolder(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, contents] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await fs.writeFile(path.join(dir, relative), contents);
  }
}

let key: TestKey;
beforeAll(async () => {
  key = await newKey();
});

/** A folder with SOPS files of every store, look-alikes, a large document and large binary data. */
async function mixedFolder(): Promise<string> {
  const dir = scratch();
  const recipients = [key.recipient];
  // Larger than one read of the hasher (1 MiB): its sops metadata lies beyond the first read.
  const large = `big: ${'x'.repeat(1024 * 1024 + 100)}\n`;
  await writeFolder(dir, {
    'stow.yaml': 'deployment: { name: x }\ncontainers: {}\n',
    'app/secrets.yaml': await sopsEncrypt({ format: 'yaml', plaintext: 'db: pw1\n', recipients }),
    'app/api.env': await sopsEncrypt({ format: 'dotenv', plaintext: 'TOKEN=t\n', recipients }),
    'app/z.json': await sopsEncrypt({ format: 'json', plaintext: '{"a": "b"}', recipients }),
    'tls/key.pem': await sopsEncrypt({ format: 'binary', plaintext: 'PEM\n', recipients }),
    'big/large.yaml': await sopsEncrypt({ format: 'yaml', plaintext: large, recipients }),
    'big/data.bin': randomBytes(3 * 1024 * 1024),
    'app/look-alike.yaml': 'sops: not really\nmac: nope\n',
    'app/look-alike.json': '{"sops": {"mac": "x"}}',
    'big/text.log': `${'sops mac '.repeat(300_000)}\n`,
    // findSopsFiles never looks inside .git; the hasher hashes it like any folder.
    '.git/hidden.yaml': await sopsEncrypt({ format: 'yaml', plaintext: 'k: v\n', recipients }),
    'sub/.git/objects/x.env': await sopsEncrypt({ format: 'dotenv', plaintext: 'K=v\n', recipients }),
  });
  return dir;
}

describe('hashAndFindSopsFiles: hashes and SOPS files in one read of the tree', () => {
  it('finds exactly what findSopsFiles finds and hashes as hashDeployment does', async () => {
    const dir = await mixedFolder();
    const scanned = await hashAndFindSopsFiles(dir);
    expect(scanned.sopsFiles).toEqual([
      'app/api.env',
      'app/secrets.yaml',
      'app/z.json',
      'big/large.yaml',
      'tls/key.pem',
    ]);
    expect(scanned.sopsFiles).toEqual(await findSopsFiles(dir));
    expect(scanned.hashes).toEqual(await hashDeployment(dir));
  });

  it('finds nothing in a folder of plain files', async () => {
    const dir = scratch();
    await writeFolder(dir, { 'stow.yaml': 'x: 1\n', 'a.yaml': 'sops: 1\n', 'b.bin': randomBytes(5000) });
    const scanned = await hashAndFindSopsFiles(dir);
    expect(scanned).toEqual({ hashes: await hashDeployment(dir), sopsFiles: [] });
  });

  it('fails like the hasher on what may not be deployed, naming the path', async () => {
    const dir = scratch();
    await writeFolder(dir, { 'stow.yaml': 'x: 1\n' });
    await fs.symlink('/etc/passwd', path.join(dir, 'passwd'));
    await expect(hashAndFindSopsFiles(dir)).rejects.toMatchObject({
      code: 'UNSUPPORTED_FILE_TYPE',
      path: 'passwd',
    });
  });
});

describe('decryptAndHash', () => {
  it('decrypts the SOPS files found in the scan and hashes them as secret files', async () => {
    const dir = await mixedFolder();
    const keysFile = await writeKeyFile(scratch(), [key]);
    const hashes = await decryptAndHash(dir, { keysFile, sopsBinary: undefined });
    expect(await fs.readFile(path.join(dir, 'app/secrets.yaml'), 'utf8')).toBe('db: pw1\n');
    expect(hashes).toEqual(await hashDeployment(dir, { secretFiles: hashes.secretFiles }));
    expect([...hashes.secretFiles].sort()).toEqual([
      'app/api.env',
      'app/secrets.yaml',
      'app/z.json',
      'big/large.yaml',
      'tls/key.pem',
    ]);
  });

  it('refuses SOPS files without a keys file, naming them, and changes nothing', async () => {
    const dir = await mixedFolder();
    const before = await fs.readFile(path.join(dir, 'app/secrets.yaml'));
    const failure = decryptAndHash(dir, { keysFile: undefined, sopsBinary: undefined });
    await expect(failure).rejects.toBeInstanceOf(SopsDecryptError);
    await expect(failure).rejects.toThrow(
      'app/api.env, app/secrets.yaml, app/z.json, big/large.yaml, tls/key.pem: SOPS-encrypted, but no age keys file is configured',
    );
    expect(await fs.readFile(path.join(dir, 'app/secrets.yaml'))).toEqual(before);
  });
});
