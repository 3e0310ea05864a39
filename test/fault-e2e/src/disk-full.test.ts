import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';
import { FaultProxy } from './support/proxy.js';

// Case 3. The state directory's filesystem (a 16 MiB tmpfs) fills up while the snapshot of a new
// revision is written. To hit exactly that moment the daemon.yaml dockerHost is a proxy in front of the
// real socket: the first container list of the run is the plan, made after the revision is fetched
// and hashed and right before the snapshot is committed; the proxy fills the disk, then lets it pass.
const stateDir = mkdtempSync(path.join(tmpdir(), 'stow-fault-tmpfs-'));
const filler = path.join(stateDir, 'filler');
const socketDir = mkdtempSync(path.join(tmpdir(), 'stow-fault-sock-'));
let fillOnPlan = false;
const proxy = new FaultProxy(
  { path: path.join(socketDir, 'docker.sock') },
  { path: '/var/run/docker.sock' },
  {
    onRequest(line) {
      if (fillOnPlan && /\/containers\/json/.test(line)) {
        fillOnPlan = false;
        fillDisk();
      }
      return undefined;
    },
  },
);

/** Writes zeros to the filler file until the filesystem has no byte left. */
function fillDisk(): void {
  const fd = openSync(filler, 'a');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const block = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, block);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

let h: FaultHost;
beforeAll(async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', stateDir]);
  await proxy.up();
  h = await FaultHost.create('disk', { stateDir, dockerHost: proxy.address });
});
afterAll(async () => {
  await proxy.down();
  await h?.cleanup();
  execFileSync('umount', [stateDir]);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(socketDir, { recursive: true, force: true });
});

it('the state filesystem is full while the snapshot is written: nothing touched, ENOSPC and the path named, staging cleaned up', async () => {
  const v1 = await h.commit({ web: 'http-ok' });
  expect((await h.reconcile()).code).toBe(0);
  const before = await h.containerIds();
  const v2 = await h.commit({ web: 'http-ok-2' });

  fillOnPlan = true;
  const result = await h.reconcile();
  expect(fillOnPlan, 'the disk was filled at the plan').toBe(false);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/reconcile failed at snapshot, nothing changed: .*ENOSPC/);
  expect(result.stderr).toContain(path.join(stateDir, '.stow', 'snapshots', v2.hash));

  // Nothing touched: the same containers serve v1, running-config still points at it.
  expect(await h.containerIds()).toEqual(before);
  expect(h.runningHash()).toBe(v1.hash);
  expect(existsSync(path.join(stateDir, 'running-config.previous'))).toBe(false);
  expect(h.stagingEntries()).toEqual([]);
  // No half-written snapshot is left to be taken for a complete one later.
  expect(h.snapshotHashes()).toEqual([v1.hash]);
  expect(await h.served('http-ok v1')).toContain('http-ok v1');

  // Space again: the same revision deploys.
  rmSync(filler);
  const retry = await h.reconcile();
  expect(retry.code, retry.stderr).toBe(0);
  await h.expectSettled({ hash: v2.hash, serves: 'http-ok v2' });
});
