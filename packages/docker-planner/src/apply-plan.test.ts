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

    const calls = engine.calls.filter((c) => c !== 'listContainers' && c !== 'listNetworks');
    // Each image and each container in its own order; images and containers in parallel.
    expect(calls.filter((c) => c.includes('/web'))).toEqual([
      `imageExists ${WEB_NEW}`,
      `pull registry.example.com/shop/web@${D2}`,
      `imageExists ${WEB_NEW}`,
    ]);
    expect(calls.filter((c) => c.includes('/db'))).toEqual([
      `imageExists ${DB}`,
      `pull registry.example.com/shop/db@${D1}`,
      `imageExists ${DB}`,
    ]);
    expect(calls.filter((c) => /web|c-3/.test(c) && !c.includes('/web'))).toEqual([
      'create web',
      'connect metrics c-3 web',
      'start c-3',
    ]);
    expect(calls.filter((c) => /db|c-4/.test(c) && !c.includes('/db'))).toEqual([
      'create db',
      'connect metrics c-4 db',
      'start c-4',
    ]);
    // Phases: every pull done before the networks, the networks before any create.
    expect(calls.slice(6, 8)).toEqual(['createNetwork backend', 'createNetwork metrics']);
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
    expect(mutations[0]).toBe(`pull registry.example.com/shop/web@${D2}`);
    expect(new Set(mutations.slice(1, 5))).toEqual(
      new Set(['stop old-web t=25', 'remove old-web', 'stop old-db t=10', 'remove old-db']),
    );
    expect(mutations.indexOf('stop old-web t=25')).toBeLessThan(mutations.indexOf('remove old-web'));
    expect(new Set(mutations.slice(5))).toEqual(
      new Set(['create web', 'start c-1', 'create db', 'start c-2']),
    );
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

  it('does not look up images the caller names as present; pulls the others', async () => {
    const engine = runningOld();
    const p = plan(desired(NEW_HASH), await observeActual(engine));
    const result = await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine, {
      imagesPresent: [DB],
    });
    expect(engine.calls.filter((c) => /^(imageExists|pull)/.test(c))).toEqual([
      `imageExists ${WEB_NEW}`,
      `pull registry.example.com/shop/web@${D2}`,
      `imageExists ${WEB_NEW}`,
    ]);
    expect(result.pulled).toEqual([`registry.example.com/shop/web@${D2}`]);
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

describe('applyPlan: containers that are not running', () => {
  it.each(['exited', 'created', 'dead'])(
    'an old container %s is removed without a stop call',
    async (state) => {
      const engine = runningOld();
      const db = engine.containers.get('old-db');
      if (db) db.state = state;
      const p = plan(desired(NEW_HASH), await observeActual(engine));
      await applyPlan(p, bodies(NEW_HASH, { web: WEB_NEW, db: DB }), engine);
      const calls = engine.calls.filter(isMutation);
      expect(calls).toContain('remove old-db');
      expect(calls).not.toContain('stop old-db t=10');
      expect(calls).toContain('stop old-web t=25');
    },
  );
});

/** `count` running containers app-0.. of the old revision, each on its own image tag (all present). */
function runningMany(count: number): { engine: FakeEngine; names: string[] } {
  const engine = new FakeEngine();
  const names = Array.from({ length: count }, (_, i) => `app-${i}`);
  for (const name of names) {
    engine.addContainer({
      id: `old-${name}`,
      name,
      state: 'running',
      labels: { 'stow.deployment': 'shop', 'stow.hash': `v1:${OLD_HASH}`, 'stow.container': name },
    });
  }
  return { engine, names };
}

/** A digest of its own per container: the fake finds images by digest. */
const digestOf = (name: string) => `sha256:${name.replace('app-', '').padStart(64, 'f')}`;
const imageOf = (name: string) => `registry.example.com/shop/${name}:2@${digestOf(name)}`;
const bodiesOf = (names: string[]) =>
  bodies(NEW_HASH, Object.fromEntries(names.map((n) => [n, imageOf(n)])), []);

describe('applyPlan in parallel', () => {
  it('pulls, stops and starts overlap, never more than the bound at once', async () => {
    const { engine, names } = runningMany(10);
    engine.latencyMs = 5;
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const result = await applyPlan(p, bodiesOf(names), engine, { concurrency: 3 });
    expect(engine.peakConcurrentCalls).toBe(3);
    expect(result.pulled).toHaveLength(10);
    expect(result.created.map((c) => c.container)).toEqual(names);
    expect(names.every((n) => engine.byName(n)?.state === 'running')).toBe(true);
  });

  it('the default bound is 4', async () => {
    const { engine, names } = runningMany(10);
    engine.latencyMs = 5;
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    await applyPlan(p, bodiesOf(names), engine);
    expect(engine.peakConcurrentCalls).toBe(4);
  });

  it('a replacement is created once its own old container is removed, overlapping the other stops', async () => {
    const { engine, names } = runningMany(6);
    engine.latencyMs = 2;
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    await applyPlan(p, bodiesOf(names), engine, { concurrency: 2 });
    const at = (call: string) => engine.calls.indexOf(call);
    for (const name of names) expect(at(`remove old-${name}`)).toBeLessThan(at(`create ${name}`));
    const lastRemove = engine.calls.findLastIndex((c) => c.startsWith('remove '));
    const firstCreate = engine.calls.findIndex((c) => c.startsWith('create '));
    expect(firstCreate).toBeLessThan(lastRemove);
  });

  it('a replacement binding a fixed host port is created only after every stop of its wave', async () => {
    const { engine, names } = runningMany(6);
    engine.latencyMs = 2;
    const options = bodiesOf(names);
    const context = {
      deploymentName: 'shop',
      deploymentHash: NEW_HASH,
      snapshotDir: '/snap/x',
      envFromFiles: {},
    };
    // app-0 takes a host port an old container might hold; app-1 publishes a port the engine picks.
    options['app-0'] = toCreateOptions('app-0', { image: imageOf('app-0'), ports: ['8080:80'] }, context);
    options['app-1'] = toCreateOptions('app-1', { image: imageOf('app-1'), ports: ['80'] }, context);
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    await applyPlan(p, options, engine, { concurrency: 2 });
    const lastRemove = engine.calls.findLastIndex((c) => c.startsWith('remove '));
    expect(engine.calls.indexOf('create app-0')).toBeGreaterThan(lastRemove);
    expect(engine.calls.indexOf('create app-1')).toBeLessThan(lastRemove);
    expect(names.every((n) => engine.byName(n)?.state === 'running')).toBe(true);
  });

  it('a failed stop: that container is not replaced, the others are, the error names it', async () => {
    const { engine, names } = runningMany(4);
    engine.latencyMs = 2;
    engine.failStop.add('app-2');
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const error = await applyPlan(p, bodiesOf(names), engine).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STOP_FAILED', container: 'app-2' });
    expect((error as Error).message).toMatch(/^container app-2: stopping container old-app-2: /);
    expect(engine.calls).not.toContain('create app-2');
    expect(engine.containers.get('old-app-2')?.state).toBe('running');
    for (const name of ['app-0', 'app-1', 'app-3'])
      expect(engine.byName(name)?.labels['stow.hash']).toBe(`v1:${NEW_HASH}`);
  });

  it('failed stops and failed starts of one wave are reported together, each by name', async () => {
    const { engine, names } = runningMany(4);
    engine.failStop.add('app-0');
    engine.failStart.add('app-3');
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const error = await applyPlan(p, bodiesOf(names), engine).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STOP_FAILED', container: 'app-0' });
    expect((error as Error).message).toMatch(
      /^2 of 7 stops and starts failed: container app-0: stopping .*; container app-3: starting /,
    );
  });

  it('a failed stop in a later wave: nothing is created', async () => {
    const { engine, names } = runningMany(3);
    engine.failStop.add('app-2');
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const waves = [['app-0', 'app-1'], ['app-2']];
    await expect(applyPlan(p, bodiesOf(names), engine, { waves })).rejects.toMatchObject({
      code: 'STOP_FAILED',
      container: 'app-2',
    });
    expect(engine.calls.filter((c) => c.startsWith('create '))).toEqual([]);
  });

  it('starts wave after wave and stops the waves in reverse; containers being deleted stop first', async () => {
    const { engine } = runningMany(5);
    engine.latencyMs = 2;
    // app-4 is no longer declared: deleted.
    const names = ['app-0', 'app-1', 'app-2', 'app-3'];
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const waves = [['app-2'], ['app-0', 'app-3'], ['app-1']];
    await applyPlan(p, bodiesOf(names), engine, { waves });
    const stopOrder = engine.calls.filter((c) => c.startsWith('stop ')).map((c) => c.split(' ')[1]);
    expect(stopOrder[0]).toBe('old-app-4');
    expect(stopOrder[1]).toBe('old-app-1');
    expect(new Set(stopOrder.slice(2, 4))).toEqual(new Set(['old-app-0', 'old-app-3']));
    expect(stopOrder[4]).toBe('old-app-2');
    const at = (call: string) => engine.calls.indexOf(call);
    const startOf = (name: string) => at(`start ${engine.byName(name)?.id}`);
    // A wave's creates wait until the previous wave has started.
    expect(startOf('app-2')).toBeLessThan(at('create app-0'));
    expect(startOf('app-2')).toBeLessThan(at('create app-3'));
    expect(Math.max(startOf('app-0'), startOf('app-3'))).toBeLessThan(at('create app-1'));
  });

  it('a failed start mid-wave: the others of the wave finish, the error names it, the next wave does not start', async () => {
    const { engine, names } = runningMany(4);
    engine.latencyMs = 2;
    engine.failStart.add('app-1');
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const waves = [['app-0', 'app-1', 'app-2'], ['app-3']];
    const error = await applyPlan(p, bodiesOf(names), engine, { waves }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'START_FAILED', container: 'app-1', image: imageOf('app-1') });
    expect((error as Error).message).toMatch(/^container app-1: .*port is already allocated/);
    expect(engine.byName('app-0')?.state).toBe('running');
    expect(engine.byName('app-2')?.state).toBe('running');
    expect(engine.calls).not.toContain('create app-3');
  });

  it('several failed starts are all reported, each by name', async () => {
    const { engine, names } = runningMany(4);
    engine.failStart.add('app-1');
    engine.failStart.add('app-3');
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const error = await applyPlan(p, bodiesOf(names), engine).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerPlannerError);
    expect(error).toMatchObject({ code: 'START_FAILED', container: 'app-1' });
    expect((error as Error).message).toMatch(/^2 of 4 starts failed: container app-1: .*; container app-3: /);
    expect(((error as Error).cause as AggregateError).errors).toHaveLength(2);
    expect(engine.byName('app-2')?.state).toBe('running');
  });

  it('several failed pulls are all reported and nothing running is touched', async () => {
    const { engine, names } = runningMany(3);
    engine.latencyMs = 2;
    engine.failPull.set(`registry.example.com/shop/app-0@${digestOf('app-0')}`, 'manifest unknown');
    engine.failPull.set(`registry.example.com/shop/app-2@${digestOf('app-2')}`, 'unauthorized');
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    const error = await applyPlan(p, bodiesOf(names), engine).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PULL_FAILED' });
    expect((error as Error).message).toMatch(
      /^2 of 3 pulls failed: .*app-0.*manifest unknown; .*app-2.*unauthorized/,
    );
    expect(engine.calls.filter(isMutation)).toEqual([]);
    expect(names.every((n) => engine.byName(n)?.state === 'running')).toBe(true);
  });

  it.each([
    [{ concurrency: 0 }, /apply concurrency must be a positive integer \(got 0\)/],
    [{ concurrency: 1.5 }, /apply concurrency must be a positive integer \(got 1.5\)/],
    [{ waves: [['app-0'], ['nope', 'app-1']] }, /start wave 2 names nope, not a container of the deployment/],
    [{ waves: [['app-0', 'app-1'], ['app-1']] }, /start wave 2 names app-1 again/],
    [{ waves: [['app-0']] }, /start waves leave out app-1/],
  ])('bad options %j fail before anything is touched', async (options, message) => {
    const { engine, names } = runningMany(2);
    const p = plan(desired(NEW_HASH, names, {}), await observeActual(engine));
    await expect(applyPlan(p, bodiesOf(names), engine, options)).rejects.toThrow(message);
    expect(engine.calls.filter((c) => isMutation(c) || c.startsWith('pull'))).toEqual([]);
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
