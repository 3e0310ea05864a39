import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeploymentSource } from './ports.js';
import { resolveDeployment } from './resolve-deployment.js';
import { runReconcile } from './run-reconcile.js';
import { fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

// The daemon resolves commits (for /status and /trigger) in .stow/staging/ while a reconcile runs
// in the same process: the reconcile's start must not delete a download in flight.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/** A source whose download of B stops halfway until `release()`. */
function slowSource(): { source: DeploymentSource; halfway: Promise<void>; release: () => void } {
  const inner = fakeSource(
    new Map([
      [A, manifestFiles('web', ['app'])],
      [B, manifestFiles('web', ['app', 'db'], { 'config/app.conf': 'a=1\n' })],
    ]),
    () => A,
  );
  let reachedHalfway = () => {};
  const halfway = new Promise<void>((resolve) => (reachedHalfway = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const source: DeploymentSource = {
    ...inner,
    async fetchSubfolder(sha, stagingDir) {
      if (sha !== B) return inner.fetchSubfolder(sha, stagingDir);
      await fs.writeFile(path.join(stagingDir, 'stow.yaml'), 'being written\n');
      reachedHalfway();
      await released;
      // The rest of the download goes into the same directory, as an extraction does (no mkdir -p).
      await fs.writeFile(path.join(stagingDir, 'stow.yaml'), 'still being written\n');
      return inner.fetchSubfolder(sha, stagingDir);
    },
  };
  return { source, halfway, release };
}

describe('a commit resolution beside a reconcile', () => {
  it('keeps its staging directory while a reconcile starts; both succeed', async () => {
    const { source, halfway, release } = slowSource();
    const { context, stateDir, cleanup } = testContext(source, new FakeEngine());
    cleanups.push(cleanup);
    const resolution = resolveDeployment(context, B);
    await halfway;
    const outcome = await runReconcile(context, { trigger: 'poll' });
    release();
    expect(outcome).toMatchObject({ kind: 'converged', gitRevision: A });
    expect((await resolution).manifest.containers).toHaveProperty('db');
    expect(await fs.readdir(path.join(stateDir, '.stow/staging'))).toEqual([]);
  });
});
