import { describe, expect, it } from 'vitest';
import { applyPlan, pullReference } from './apply-plan.js';
import type { CreateOptions } from './create-options.js';
import { toCreateOptions } from './create-options.js';
import { DockerPlannerError } from './errors.js';
import { observeActual } from './observe.js';
import type { DesiredState } from './plan.js';
import { plan } from './plan.js';
import { FakeEngine } from './testing/fake-engine.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const WEB_OLD = `registry.example.com/shop/web:1@${D1}`;
const WEB_NEW = `registry.example.com/shop/web:2@${D2}`;
const DB = `registry.example.com/shop/db:16@${D1}`;
const OLD_HASH = 'a'.repeat(64);
const NEW_HASH = 'b'.repeat(64);

function desired(
  hash: string,
  containers = ['web', 'db'],
  networks: DesiredState['networks'] = { backend: {} },
) {
  return { deploymentName: 'shop', deploymentHash: hash, containers, networks };
}

function bodies(
  hash: string,
  images: Record<string, string>,
  networks = ['backend'],
): Record<string, CreateOptions> {
  const context = { deploymentName: 'shop', deploymentHash: hash, snapshotDir: '/snap/x', envFromFiles: {} };
  return Object.fromEntries(
    Object.entries(images).map(([name, image]) => [
      name,
      toCreateOptions(name, { image, networks }, context),
    ]),
  );
}

/** An engine running the old revision: web (old image) and db, network backend. */
function runningOld(): FakeEngine {
  const engine = new FakeEngine();
  const labels = (name: string) => ({
    'stow.deployment': 'shop',
    'stow.hash': `v1:${OLD_HASH}`,
    'stow.container': name,
  });
  engine.addNetwork({ id: 'net-old', name: 'backend', labels: { 'stow.deployment': 'shop' } });
  engine.addContainer({
    id: 'old-web',
    name: 'web',
    state: 'running',
    labels: labels('web'),
    stopTimeout: 25,
  });
  engine.addContainer({ id: 'old-db', name: 'db', state: 'running', labels: labels('db') });
  engine.images.add(WEB_OLD);
  engine.images.add(DB);
  return engine;
}

const isMutation = (call: string) =>
  /^(stop|remove|create|start|connect|removeNetwork|createNetwork)/.test(call);

describe('applyPlan', () => {
  it('first deploy: pulls by digest, creates the network, creates and starts in manifest order', async () => {
    const engine = new FakeEngine();
    const p = plan(
      desired(NEW_HASH, ['web', 'db'], { backend: {}, metrics: {} }),
      await observeActual(engine),
    );
    const create = bodies(NEW_HASH, { web: WEB_NEW, db: DB }, ['backend', 'metrics']);
    const events: string[] = [];
    const result = await applyPlan(p, create, engine, {
      onProgress: (e) => events.push(`${e.step} ${e.target}`),
    });

    expect(engine.calls.filter((c) => c !== 'listContainers' && c !== 'listNetworks')).toEqual([
      `imageExists ${WEB_NEW}`,
      `pull registry.example.com/shop/web@${D2}`,
      `imageExists ${WEB_NEW}`,
      `imageExists ${DB}`,
      `pull registry.example.com/shop/db@${D1}`,
      `imageExists ${DB}`,
      'createNetwork backend',
      'createNetwork metrics',
      'create web',
      'connect metrics c-3 web',
      'start c-3',
      'create db',
      'connect metrics c-4 db',
      'start c-4',
    ]);
    expect(result.created).toEqual([
      { container: 'web', id: 'c-3' },
      { container: 'db', id: 'c-4' },
    ]);
    expect(result.pulled).toEqual([
      `registry.example.com/shop/web@${D2}`,
      `registry.example.com/shop/db@${D1}`,
    ]);
    expect(result.networksCreated).toEqual(['backend', 'metrics']);
    expect([...engine.networks.values()].every((n) => n.labels['stow.deployment'] === 'shop')).toBe(true);
    expect(events[0]).toBe(`pull registry.example.com/shop/web@${D2}`);
  });

  it('update: pulls before any stop, stops with the old container stop timeout, replaces only what changed', async () => {
    const engine = runningOld();
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    // Both get the new hash label; db keeps its image (already present: no pull).
    const result = await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine);
    const mutations = engine.calls.filter((c) => isMutation(c) || c.startsWith('pull'));
    expect(mutations).toEqual([
      `pull registry.example.com/shop/web@${D2}`,
      'stop old-web t=25',
      'remove old-web',
      'stop old-db t=10',
      'remove old-db',
      'create web',
      'start c-1',
      'create db',
      'start c-2',
    ]);
    expect(result.removed).toEqual([
      { container: 'web', id: 'old-web' },
      { container: 'db', id: 'old-db' },
    ]);
    const second = plan(desired(NEW_HASH), await observeActual(engine));
    expect(second.unchanged).toBe(true);
    expect(second.actions.map((a) => a.action)).toEqual(['noop', 'noop']);
  });

  it('a failed pull aborts before anything is stopped, removed or created', async () => {
    const engine = runningOld();
    engine.failPull.set(`registry.example.com/shop/web@${D2}`, 'manifest unknown');
    const p = plan(desired(NEW_HASH, ['web', 'db'], { backend: {}, extra: {} }), await observeActual(engine));
    await expect(applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine)).rejects.toMatchObject({
      code: 'PULL_FAILED',
      message: expect.stringContaining('manifest unknown'),
    });
    expect(engine.calls.filter(isMutation)).toEqual([]);
    expect(engine.containers.get('old-web')?.state).toBe('running');
  });

  it('a pull reported as success without the image is PULL_FAILED, nothing touched', async () => {
    const engine = runningOld();
    engine.silentPull.add(`registry.example.com/shop/web@${D2}`);
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    await expect(applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine)).rejects.toMatchObject({
      code: 'PULL_FAILED',
      image: WEB_NEW,
    });
    expect(engine.calls.filter(isMutation)).toEqual([]);
  });

  it('missing create options fail before anything happens', async () => {
    const engine = runningOld();
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    await expect(applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW }), engine)).rejects.toThrow(
      /no create options for container db/,
    );
    expect(engine.calls.filter((c) => isMutation(c) || c.startsWith('pull'))).toEqual([]);
  });

  it('passes registry credentials of the image to the pull', async () => {
    const engine = new FakeEngine();
    const p = plan(desired(NEW_HASH, ['web'], {}), await observeActual(engine));
    const auth = { username: 'ci', password: 'pw', serveraddress: 'registry.example.com' };
    await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW }, []), engine, {
      registryAuth: (image) => (image.startsWith('registry.example.com/') ? auth : undefined),
    });
    expect(engine.pullAuth).toEqual([auth]);
  });

  it('deletes undeclared containers and prunes undeclared networks; a busy network is kept and reported', async () => {
    const engine = runningOld();
    engine.addNetwork({ id: 'net-gone', name: 'gone', labels: { 'stow.deployment': 'shop' } });
    engine.addNetwork({ id: 'net-busy', name: 'busy', labels: { 'stow.deployment': 'shop' } });
    engine.addNetwork({ id: 'net-foreign', name: 'foreign', labels: {} });
    engine.networksInUse.add('net-busy');
    const p = plan(desired(OLD_HASH, ['web']), await observeActual(engine));
    expect(p.actions.map((a) => `${a.container}:${a.action}`)).toEqual(['web:noop', 'db:delete']);
    const result = await applyPlan(p, {}, engine);
    expect(engine.calls.filter(isMutation)).toEqual([
      'stop old-db t=10',
      'remove old-db',
      'removeNetwork net-gone',
      'removeNetwork net-busy',
    ]);
    expect(result.networksPruned).toEqual(['gone']);
    expect(result.networksKept).toEqual([{ name: 'busy', reason: 'still has active endpoints' }]);
    expect(engine.networks.has('net-foreign')).toBe(true);
  });

  it('a start failure names the container and image', async () => {
    const engine = new FakeEngine();
    engine.images.add(WEB_NEW);
    engine.failStart.add('web');
    const p = plan(desired(NEW_HASH, ['web'], {}), await observeActual(engine));
    const error = await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW }, []), engine).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerPlannerError);
    expect(error).toMatchObject({ code: 'START_FAILED', container: 'web', image: WEB_NEW });
    expect((error as Error).message).toMatch(/^container web: .*port is already allocated/);
  });

  it('a container gone between observation and apply is not stopped; its removal is a no-op', async () => {
    const engine = runningOld();
    engine.containers.delete('old-db');
    const web = engine.containers.get('old-web');
    if (web) web.state = 'exited';
    const p = plan(desired(OLD_HASH, ['web'], { backend: {} }), await observeActual(engine));
    expect(p.actions).toEqual([
      { container: 'web', action: 'replace', reason: 'stopped (exited)', existingId: 'old-web' },
    ]);
    engine.containers.delete('old-web');
    await applyPlan(p, bodies(OLD_HASH, { web: WEB_OLD }), engine);
    expect(engine.calls.filter(isMutation)).toEqual(['remove old-web', 'create web', 'start c-1']);
  });
});

describe('pullReference', () => {
  it.each([
    [`registry.example.com/a/web:2@${D2}`, `registry.example.com/a/web@${D2}`],
    [`127.0.0.1:5000/a/web@${D2}`, `127.0.0.1:5000/a/web@${D2}`],
    ['127.0.0.1:5000/a/web:latest', '127.0.0.1:5000/a/web:latest'],
  ])('%s -> %s', (image, ref) => {
    expect(pullReference(image)).toBe(ref);
  });
});

describe('applyPlan: beforeStop (beforeApply jobs) and dependsOn', () => {
  const D3 = `sha256:${'3'.repeat(64)}`;
  const JOB_IMAGE = `registry.example.com/shop/migrate:2@${D3}`;
  const clock = { now: () => 0, sleep: async () => {} };

  it('runs beforeStop after every image (alsoPull too) is pulled and networks exist, before any stop', async () => {
    const engine = runningOld();
    const p = plan(desired(NEW_HASH, ['web', 'db'], { backend: {}, jobs: {} }), await observeActual(engine));
    await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine, {
      alsoPull: [JOB_IMAGE],
      beforeStop: async () => {
        engine.calls.push('beforeStop');
      },
    });
    const mutations = engine.calls.filter((c) => isMutation(c) || /^(pull|beforeStop)/.test(c));
    expect(mutations.slice(0, 5)).toEqual([
      `pull registry.example.com/shop/web@${D2}`,
      `pull registry.example.com/shop/migrate@${D3}`,
      'createNetwork jobs',
      'beforeStop',
      'stop old-web t=25',
    ]);
  });

  it('a throwing beforeStop aborts the apply with every running container untouched', async () => {
    const engine = runningOld();
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    await expect(
      applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine, {
        beforeStop: async () => {
          throw new Error('job migrate exited with code 1');
        },
      }),
    ).rejects.toThrow(/migrate/);
    expect(engine.calls.filter(isMutation)).toEqual([]);
    expect([...engine.containers.keys()].sort()).toEqual(['old-db', 'old-web']);
  });

  it('starts a container after its dependencies are ready, and stops in reverse order', async () => {
    const engine = runningOld();
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine, {
      startOrder: { dependsOn: { web: ['db'] }, ready: { timeoutMs: 1000, clock } },
    });
    expect(engine.calls.filter((c) => isMutation(c) || c.startsWith('inspect'))).toEqual([
      // web depends on db: web stops first, db starts first and is inspected before web is created.
      'inspect old-web',
      'stop old-web t=25',
      'remove old-web',
      'inspect old-db',
      'stop old-db t=10',
      'remove old-db',
      'create db',
      'start c-1',
      'inspect c-1',
      'create web',
      'start c-2',
    ]);
  });

  it('does not start a dependent whose dependency exits, naming the dependency', async () => {
    const engine = runningOld();
    engine.script({ name: 'db' }, { kind: 'exits', exitCode: 1 });
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    await expect(
      applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine, {
        startOrder: { dependsOn: { web: ['db'] }, ready: { timeoutMs: 1000, clock } },
      }),
    ).rejects.toMatchObject({
      code: 'DEPENDENCY_NOT_READY',
      message: expect.stringMatching(/db exited with code 1/),
    });
    expect(engine.byName('web')).toBeUndefined();
  });
});
