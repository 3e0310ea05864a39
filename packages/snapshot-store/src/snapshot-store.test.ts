import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotMetadata } from './metadata.js';
import { createSnapshotStore } from './snapshot-store.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

async function freshStore() {
  const root = mkdtempSync(path.join(tmpdir(), 'stow-store-'));
  roots.push(root);
  const store = createSnapshotStore(root);
  await store.prepare();
  return { root, store };
}

const hashOf = (c: string) => c.repeat(64);
const deadPid = 4_194_305; // above Linux's pid_max: never a running process
const livePid = 4_194_306;
function metadata(hash: string, overrides: Partial<SnapshotMetadata> = {}): SnapshotMetadata {
  return {
    deploymentName: 'webapp',
    gitRevision: 'a'.repeat(40),
    createdAt: '2026-11-26T07:00:00.000Z',
    manifestHash: '1'.repeat(64),
    configHash: '2'.repeat(64),
    secretsHash: '3'.repeat(64),
    deploymentHash: hash,
    secretFiles: [],
    ...overrides,
  };
}

async function stageAndCommit(
  store: ReturnType<typeof createSnapshotStore>,
  hash: string,
  secretFiles: string[] = [],
) {
  const staging = await store.createStaging();
  await fs.mkdir(path.join(staging, 'config'));
  await fs.writeFile(path.join(staging, 'stow.yaml'), 'deployment: { name: webapp }\n');
  await fs.writeFile(path.join(staging, 'config/app.conf'), 'a=1\n');
  for (const secret of secretFiles) await fs.writeFile(path.join(staging, secret), 'PASSWORD=x\n');
  return store.commit({
    stagingDir: staging,
    metadata: metadata(hash, { secretFiles }),
    renderedManifest: 'rendered: true\n',
  });
}

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('snapshot store', () => {
  it('lays out its state under .stow with 0700 directories and clears staging leftovers', async () => {
    const { root, store } = await freshStore();
    const staging = path.join(root, '.stow/staging');
    // A dead process's download (kill -9), one of ours nobody uses any more, one of an older stow.
    for (const name of [`${deadPid}-1-aaaa`, `${process.pid}-1-bbbb`, '1764000000000-cccc']) {
      await fs.mkdir(path.join(staging, name));
      await fs.writeFile(path.join(staging, name, 'x'), 'half a download');
    }
    await createSnapshotStore(root, { isAlive: (pid) => pid !== deadPid }).prepare();
    expect(await fs.readdir(staging)).toEqual([]);
    expect(await mode(path.join(root, '.stow'))).toBe(0o700);
    expect(store.layout.runningConfig).toBe(path.join(root, 'running-config'));
  });

  it("leaves another live download alone: a reconcile starting beside the daemon's commit resolution", async () => {
    const { root, store } = await freshStore();
    const resolving = await store.createStaging();
    await fs.writeFile(path.join(resolving, 'stow.yaml'), 'being extracted\n');
    const otherProcess = path.join(root, '.stow/staging', `${livePid}-1-dddd`);
    await fs.mkdir(otherProcess);
    // A second store over the same state directory, as the daemon's reconcile and resolver have.
    await createSnapshotStore(root, { isAlive: (pid) => pid === livePid }).prepare();
    expect(await fs.readFile(path.join(resolving, 'stow.yaml'), 'utf8')).toBe('being extracted\n');
    expect(await fs.stat(otherProcess)).toBeTruthy();
    await store.discardStaging(resolving);
    await createSnapshotStore(root, { isAlive: () => false }).prepare();
    expect(await fs.readdir(path.join(root, '.stow/staging'))).toEqual([]);
  });

  it('commits a staged tree with the five metadata files and protective modes', async () => {
    const { root, store } = await freshStore();
    const ref = await stageAndCommit(store, hashOf('a'), ['secrets.env']);
    expect(ref.dir).toBe(path.join(root, '.stow/snapshots', hashOf('a')));
    expect((await fs.readdir(ref.dir)).sort()).toEqual(
      [
        '.config-sha256',
        '.deployment-name',
        '.git-revision',
        '.stow-rendered-manifest.yaml',
        '.stow-snapshot.json',
        'config',
        'secrets.env',
        'stow.yaml',
      ].sort(),
    );
    expect(await fs.readFile(path.join(ref.dir, '.config-sha256'), 'utf8')).toBe(`${hashOf('a')}\n`);
    expect(await fs.readFile(path.join(ref.dir, '.git-revision'), 'utf8')).toBe(`${'a'.repeat(40)}\n`);
    expect(await fs.readFile(path.join(ref.dir, '.deployment-name'), 'utf8')).toBe('webapp\n');
    expect(await store.readMetadata(ref)).toEqual(metadata(hashOf('a'), { secretFiles: ['secrets.env'] }));
    expect(await mode(ref.dir)).toBe(0o700);
    expect(await mode(path.join(ref.dir, 'secrets.env'))).toBe(0o600);
    expect(await mode(path.join(ref.dir, '.stow-rendered-manifest.yaml'))).toBe(0o600);
    expect(await mode(path.join(ref.dir, 'config/app.conf'))).toBe(0o644);
  });

  it('reuses an existing snapshot of the same hash and refreshes its revision', async () => {
    const { store } = await freshStore();
    await stageAndCommit(store, hashOf('a'));
    const staging = await store.createStaging();
    const ref = await store.commit({
      stagingDir: staging,
      metadata: metadata(hashOf('a'), { gitRevision: 'b'.repeat(40) }),
      renderedManifest: 'x',
    });
    expect(await fs.readFile(path.join(ref.dir, '.git-revision'), 'utf8')).toBe(`${'b'.repeat(40)}\n`);
    expect(await fs.readdir(store.layout.stagingDir)).toEqual([]);
  });

  it('leaves nothing under snapshots/ when the metadata cannot be written (a full disk)', async () => {
    const { store } = await freshStore();
    const staging = await store.createStaging();
    await fs.writeFile(path.join(staging, 'stow.yaml'), 'deployment: { name: webapp }\n');
    // The last metadata file cannot be written: a directory stands where it goes.
    await fs.mkdir(path.join(staging, '.stow-snapshot.json'));
    await expect(
      store.commit({ stagingDir: staging, metadata: metadata(hashOf('a')), renderedManifest: 'r\n' }),
    ).rejects.toMatchObject({
      code: 'IO_FAILED',
      path: path.join(store.layout.snapshotsDir, hashOf('a')),
      message: expect.stringContaining(`cannot write ${path.join(staging, '.stow-snapshot.json')}`),
    });
    expect(await fs.readdir(store.layout.snapshotsDir)).toEqual([]);
    await store.discardStaging(staging);
    expect(await fs.readdir(store.layout.stagingDir)).toEqual([]);
  });

  it('replaces a half-written snapshot (no metadata) instead of reusing it', async () => {
    const { store } = await freshStore();
    const partial = path.join(store.layout.snapshotsDir, hashOf('a'));
    await fs.mkdir(partial);
    await fs.writeFile(path.join(partial, 'stow.yaml'), 'half');
    const ref = await stageAndCommit(store, hashOf('a'));
    expect(await fs.readFile(path.join(ref.dir, 'config/app.conf'), 'utf8')).toBe('a=1\n');
    expect(await fs.readFile(path.join(ref.dir, 'stow.yaml'), 'utf8')).toBe('deployment: { name: webapp }\n');
    expect(await store.readMetadata(ref)).toEqual(metadata(hashOf('a')));
    expect(await fs.readdir(store.layout.stagingDir)).toEqual([]);
  });

  it('switches running-config atomically, keeping the previous one until confirmed', async () => {
    const { root, store } = await freshStore();
    await stageAndCommit(store, hashOf('a'));
    await stageAndCommit(store, hashOf('b'));

    await store.switchTo(hashOf('a'));
    expect(await store.previous()).toEqual({ kind: 'nothing' });
    await store.confirm();
    expect(await store.previous()).toBeUndefined();
    expect(await fs.readlink(path.join(root, 'running-config'))).toBe(`.stow/snapshots/${hashOf('a')}`);

    await store.switchTo(hashOf('b'));
    expect(await store.running()).toMatchObject({ deploymentHash: hashOf('b') });
    expect(await store.previous()).toMatchObject({ deploymentHash: hashOf('a') });
    await expect(store.switchTo(hashOf('a'))).rejects.toMatchObject({ code: 'INTERRUPTED_APPLY' });

    expect(await store.restorePrevious()).toMatchObject({ kind: 'snapshot', deploymentHash: hashOf('a') });
    expect(await store.running()).toMatchObject({ deploymentHash: hashOf('a') });
    expect(await store.previous()).toBeUndefined();
  });

  it('restores "nothing" after a failed first deploy', async () => {
    const { store } = await freshStore();
    await stageAndCommit(store, hashOf('a'));
    await store.switchTo(hashOf('a'));
    expect(await store.restorePrevious()).toEqual({ kind: 'nothing' });
    expect(await store.running()).toBeUndefined();
    await expect(store.restorePrevious()).rejects.toMatchObject({ code: 'NO_PREVIOUS' });
  });

  it('refuses to switch to a snapshot that does not exist', async () => {
    const { store } = await freshStore();
    await expect(store.switchTo(hashOf('c'))).rejects.toMatchObject({ code: 'SNAPSHOT_MISSING' });
    expect(await store.previous()).toBeUndefined();
  });

  it('reports a running-config that is not a symlink instead of overwriting it', async () => {
    const { root, store } = await freshStore();
    await fs.mkdir(path.join(root, 'running-config'));
    await expect(store.running()).rejects.toMatchObject({ code: 'BAD_STATE' });
  });

  it('collects garbage: keeps running, previous and the newest N', async () => {
    const { store } = await freshStore();
    for (const [index, c] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      const ref = await stageAndCommit(store, hashOf(c));
      const time = new Date(Date.UTC(2026, 0, 1 + index));
      await fs.utimes(ref.dir, time, time);
    }
    await store.switchTo(hashOf('a'));
    await store.confirm();
    await store.switchTo(hashOf('b')); // a is previous, b running
    const removed = await store.collectGarbage(1);
    expect(removed.sort()).toEqual([hashOf('c'), hashOf('d')]);
    expect((await fs.readdir(store.layout.snapshotsDir)).sort()).toEqual([
      hashOf('a'),
      hashOf('b'),
      hashOf('e'),
    ]);
  });
});
