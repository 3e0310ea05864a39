import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentHashError } from './errors.js';
import { combineDeploymentHash, EMPTY_SET_HASH, hashDeployment } from './hash-deployment.js';
import { oracleHashes, tempDir, writeTree } from './test-support/tree.js';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});
function freshDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

async function expectMatchesOracle(dir: string, secretFiles: string[] = []) {
  const ours = await hashDeployment(dir, { secretFiles });
  const oracle = oracleHashes(dir, secretFiles);
  expect({
    manifestHash: ours.manifestHash,
    configHash: ours.configHash,
    secretsHash: ours.secretsHash,
    deploymentHash: ours.deploymentHash,
  }).toEqual(oracle);
  return ours;
}

describe('hashDeployment against the independent oracle', () => {
  it('hashes a realistic deployment folder', async () => {
    const dir = freshDir();
    await writeTree(dir, {
      'stow.yaml': 'deployment:\n  name: webapp\n',
      'config/nginx.conf': 'server { listen 80; }\n',
      'config/webapp.env': 'LOG_LEVEL=info\n',
      'secrets/app.env': 'PASSWORD=decrypted\n',
    });
    const hashes = await expectMatchesOracle(dir, ['secrets/app.env']);
    expect(hashes.secretFiles).toEqual(['secrets/app.env']);
  });

  it('walks in per-directory byte order: a/b before a-c, uppercase before lowercase', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'a/b': '1', 'a-c': '2', 'a.d': '3', B: '4', a0: '5', 'Z/z': '6' });
    await expectMatchesOracle(dir);
    // The order is part of the format: check it against the literal expected stream too.
    const stream = ['B\u00004', 'Z/z\u00006', 'a/b\u00001', 'a-c\u00002', 'a.d\u00003', 'a0\u00005'].join('');
    const expected = execFileSync('sha256sum', { input: stream, encoding: 'utf8' }).split(' ')[0];
    expect((await hashDeployment(dir)).configHash).toBe(expected);
  });

  it('handles unicode names, spaces, NUL bytes in contents and empty files', async () => {
    const dir = freshDir();
    await writeTree(dir, {
      'stow.yaml': 'x',
      'données/é.txt': 'accent',
      'with space/file name.conf': 'spaces',
      '日本/設定': 'cjk',
      'binary.bin': new Uint8Array([0, 1, 0, 255, 0]),
      'empty.txt': '',
    });
    await expectMatchesOracle(dir);
  });

  it('gives the empty-string hash to empty sets', async () => {
    const dir = freshDir();
    const hashes = await hashDeployment(dir);
    expect(hashes.manifestHash).toBe(EMPTY_SET_HASH);
    expect(hashes.configHash).toBe(EMPTY_SET_HASH);
    expect(hashes.secretsHash).toBe(EMPTY_SET_HASH);
    expect(EMPTY_SET_HASH).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('combines like printf | sha256sum', () => {
    const [m, c, s] = ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)];
    const expected = execFileSync('sh', ['-c', `printf '%s\\n%s\\n%s\\n' ${m} ${c} ${s} | sha256sum`], {
      encoding: 'utf8',
    }).split(' ')[0];
    expect(combineDeploymentHash(m, c, s)).toBe(expected);
  });

  it('ignores empty directories', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x', 'config/a': 'a' });
    const before = await hashDeployment(dir);
    await fs.mkdir(path.join(dir, 'empty/nested'), { recursive: true });
    expect(await hashDeployment(dir)).toEqual(before);
  });

  it('only stow.yaml at the root is the manifest', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'root', 'sub/stow.yaml': 'nested' });
    const hashes = await expectMatchesOracle(dir);
    expect(hashes.configHash).not.toBe(EMPTY_SET_HASH);
  });

  it('has the documented v1 property: without length prefixes, NUL-split streams coincide', async () => {
    // Names cannot hold NUL, but contents can: [x: "1y\0" "2"] streams as `x\0 1y\0 2`, exactly like
    // [x: "1", y: "2"]. Keep this documented rather than silently surprising someone.
    const one = freshDir();
    const two = freshDir();
    await writeTree(one, { x: '1y\u00002' });
    await writeTree(two, { x: '1', y: '2' });
    expect((await hashDeployment(one)).configHash).toBe((await hashDeployment(two)).configHash);
  });
});

describe('hashDeployment rejects what may not be deployed', () => {
  it('rejects a symlink, naming it', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x', 'config/real': 'r' });
    await fs.symlink('real', path.join(dir, 'config/link'));
    await expect(hashDeployment(dir)).rejects.toThrow(
      /config\/link: is a symlink; only regular files and directories may appear/,
    );
  });

  it('rejects a symlink to a directory without following it', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x' });
    await fs.symlink('/etc', path.join(dir, 'etc'));
    const error = await hashDeployment(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentHashError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', path: 'etc' });
  });

  it('rejects a fifo', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x' });
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    await expect(hashDeployment(dir)).rejects.toThrow(/pipe: is a fifo/);
  });

  it('rejects reserved metadata names at the root, and can skip them in a snapshot', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x', '.config-sha256': 'abc' });
    await expect(hashDeployment(dir)).rejects.toMatchObject({
      code: 'RESERVED_NAME',
      path: '.config-sha256',
    });
    const skipped = await hashDeployment(dir, { skipSnapshotMetadata: true });
    await fs.rm(path.join(dir, '.config-sha256'));
    expect(skipped).toEqual(await hashDeployment(dir));
  });

  it('allows reserved names below the root', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x', 'config/.git-revision': 'fine here' });
    await expectMatchesOracle(dir);
  });

  it('rejects a declared secret file that is not there', async () => {
    const dir = freshDir();
    await writeTree(dir, { 'stow.yaml': 'x' });
    await expect(hashDeployment(dir, { secretFiles: ['secrets/app.env'] })).rejects.toThrow(
      /secrets\/app.env: declared as secret file but not a regular file/,
    );
  });

  it('rejects a path that is not a directory', async () => {
    const dir = freshDir();
    await writeTree(dir, { file: 'x' });
    await expect(hashDeployment(path.join(dir, 'file'))).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    await expect(hashDeployment(path.join(dir, 'missing'))).rejects.toThrow(
      /missing: cannot read deployment folder/,
    );
  });

  it('reports an unreadable file by path', async () => {
    if (process.getuid?.() === 0) return; // root reads everything; the check is meaningful for others only
    const dir = freshDir();
    await writeTree(dir, { secret: 'x' });
    await fs.chmod(path.join(dir, 'secret'), 0);
    await expect(hashDeployment(dir)).rejects.toThrow(/secret: cannot read file/);
  });
});
