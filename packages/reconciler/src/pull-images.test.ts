import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FakeEngine } from '@stow/docker-planner/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from './outcome.js';
import { runReconcile } from './run-reconcile.js';
import { fakeSource, manifestFiles, testContext } from './test-support/fakes.js';

// SPEC section 7: pull first, so a registry failure aborts before anything running stops.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const NEW_IMAGE = `registry.example.com/api:2@sha256:${'b'.repeat(64)}`;
/** The image of `app` in manifestFiles(). */
const APP_IMAGE = `registry.example.com/app:1@sha256:${'a'.repeat(64)}`;
/** What is pulled for it: by digest, without the tag. */
const PULLED = `registry.example.com/api@sha256:${'b'.repeat(64)}`;

function setup() {
  const engine = new FakeEngine();
  let head = A;
  const withApi = manifestFiles('web', ['app']);
  const revisions = new Map([
    [A, withApi],
    [B, { 'stow.yaml': `${withApi['stow.yaml']}  api:\n    image: ${NEW_IMAGE}\n` }],
  ]);
  const { context, stateDir, cleanup } = testContext(
    fakeSource(revisions, () => head),
    engine,
  );
  cleanups.push(cleanup);
  return { context, engine, stateDir, setHead: (sha: string) => (head = sha) };
}

describe('pulling before anything changes', () => {
  it('a pull failure is `failed` (exit 2, retried later): nothing stopped, running-config kept, not quarantined', async () => {
    const { context, engine, stateDir, setHead } = setup();
    const first = await runReconcile(context, { trigger: 'manual' });
    if (first.kind !== 'converged') throw new Error(`first deploy: ${first.kind}`);
    setHead(B);
    engine.failPull.set(PULLED, 'connection reset by peer');
    const callsBefore = engine.calls.length;

    const outcome = await runReconcile(context, { trigger: 'poll' });
    expect(outcome).toMatchObject({ kind: 'failed', step: 'pull', terminal: false });
    if (outcome.kind === 'failed') expect(outcome.reason).toMatch(/connection reset by peer/);
    expect(exitCodeOf(outcome)).toBe(2);
    const changes = engine.calls
      .slice(callsBefore)
      .filter((call) => /^(stop|remove|create|start)/.test(call));
    expect(changes).toEqual([]);
    expect(await fs.readlink(path.join(stateDir, 'running-config'))).toBe(
      `.stow/snapshots/${first.deploymentHash}`,
    );
    await expect(fs.lstat(path.join(stateDir, 'running-config.previous'))).rejects.toThrow();
    expect(await context.quarantine.list()).toEqual([]);
    expect(await fs.readdir(path.join(stateDir, '.stow/staging'))).toEqual([]);

    // The registry is back: the next poll deploys the revision.
    engine.failPull.clear();
    expect(await runReconcile(context, { trigger: 'poll' })).toMatchObject({
      kind: 'converged',
      gitRevision: B,
    });
  });

  it('each image is looked up once per reconcile: the apply does not check again what the pull step found', async () => {
    const { context, engine, setHead } = setup();
    await runReconcile(context, { trigger: 'manual' });
    setHead(B);
    engine.images.add(NEW_IMAGE);
    const callsBefore = engine.calls.length;
    const outcome = await runReconcile(context, { trigger: 'manual' });
    expect(outcome).toMatchObject({ kind: 'converged', changed: true });
    const lookups = engine.calls.slice(callsBefore).filter((call) => call.startsWith('imageExists '));
    expect(lookups).toHaveLength(2);
    expect(new Set(lookups)).toEqual(new Set([`imageExists ${NEW_IMAGE}`, `imageExists ${APP_IMAGE}`]));
  });
});
