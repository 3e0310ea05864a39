import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashDeployment } from './hash-deployment.js';
import { tempDir, writeTree } from './test-support/tree.js';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

describe('hashDeployment onFirstRead: contents seen in the same pass', () => {
  it('shows every hashed file once, in walk order, whole when it fits one read', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const large = randomBytes(1024 * 1024 + 10);
    await writeTree(dir, {
      'stow.yaml': 'deployment: { name: x }\n',
      'a/empty': '',
      'a/small.env': 'A=1\n',
      'b/large.bin': large,
      'secrets/s.env': 'S=2\n',
    });
    const seen: Array<[string, string, boolean]> = [];
    const hashes = await hashDeployment(dir, {
      secretFiles: ['secrets/s.env'],
      onFirstRead(file, bytes, whole) {
        // The buffer is reused after the call: copy what is kept.
        seen.push([file.relativeName, Buffer.from(bytes).toString('base64'), whole]);
      },
    });
    const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
    expect(seen).toEqual([
      ['a/empty', '', true],
      ['a/small.env', b64('A=1\n'), true],
      ['b/large.bin', b64(large.subarray(0, 1024 * 1024)), false],
      ['secrets/s.env', b64('S=2\n'), true],
      ['stow.yaml', b64('deployment: { name: x }\n'), true],
    ]);
    // Looking at the reads changes nothing in the hashes.
    expect(hashes).toEqual(await hashDeployment(dir, { secretFiles: ['secrets/s.env'] }));
  });

  it('does not show snapshot metadata that is skipped', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await writeTree(dir, { 'stow.yaml': 'x', '.git-revision': 'abc' });
    const seen: string[] = [];
    await hashDeployment(dir, {
      skipSnapshotMetadata: true,
      onFirstRead: (file) => seen.push(file.relativeName),
    });
    expect(seen).toEqual(['stow.yaml']);
  });
});
