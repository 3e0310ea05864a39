import type { ReconcileContext } from '@stow/reconciler';
import { describe, expect, it } from 'vitest';
import { backendFromContext } from './backend.js';

type Engine = ReconcileContext['engine'];
type Listed = Awaited<ReturnType<Engine['listContainers']>>[number];
type Inspection = NonNullable<Awaited<ReturnType<Engine['inspectContainer']>>>;

const WEB_IMAGE = `127.0.0.1:5000/web:1@sha256:${'d'.repeat(64)}`;

/** An engine with the host's containers: the deployment's two, a job of it, and another deployment's. */
function engineWith(options: { goneAfterList?: string } = {}) {
  const inspected: string[] = [];
  const listed: Listed[] = [
    { id: 'id-worker', name: 'worker', state: 'running', labels: { 'stow.deployment': 'web' } },
    { id: 'id-web', name: 'web', state: 'running', labels: { 'stow.deployment': 'web' }, health: 'starting' },
    {
      id: 'id-job',
      name: 'web-job-migrate',
      state: 'exited',
      labels: { 'stow.deployment': 'web', 'stow.job': 'migrate' },
    },
    { id: 'id-other', name: 'other', state: 'running', labels: { 'stow.deployment': 'other' } },
  ];
  const inspection = (c: Listed): Inspection => ({
    id: c.id,
    name: c.name,
    status: 'restarting',
    exitCode: 1,
    oomKilled: false,
    startedAt: '2026-04-28T10:00:00Z',
    restartCount: 3,
    labels: c.labels,
    image: WEB_IMAGE,
    imageId: `sha256:${'c'.repeat(64)}`,
    stopTimeoutSeconds: undefined,
    health: { status: 'unhealthy', failingStreak: 3, log: [] },
  });
  const engine = {
    listContainers: async () => listed,
    inspectContainer: async (id: string) => {
      inspected.push(id);
      const c = listed.find((l) => l.id === id);
      return c && c.name !== options.goneAfterList ? inspection(c) : undefined;
    },
  };
  return { engine, inspected };
}

function backend(engine: Partial<Engine>, running = true) {
  const ref = { deploymentHash: 'a'.repeat(64) };
  const store = {
    running: async () => (running ? ref : undefined),
    readMetadata: async () => ({ deploymentName: 'web', gitRevision: '1'.repeat(40) }),
  };
  return backendFromContext({ engine, store } as unknown as ReconcileContext);
}

describe('backendFromContext containers()', () => {
  it("inspects only the running deployment's containers (no job, nothing else), sorted by name", async () => {
    const { engine, inspected } = engineWith();
    const containers = await backend(engine).containers?.();
    expect(inspected.sort()).toEqual(['id-web', 'id-worker']);
    expect(containers).toEqual([
      {
        name: 'web',
        state: 'restarting',
        health: 'unhealthy',
        image: WEB_IMAGE,
        imageId: `sha256:${'c'.repeat(64)}`,
        restartCount: 3,
        startedAt: '2026-04-28T10:00:00Z',
      },
      expect.objectContaining({ name: 'worker', restartCount: 3 }),
    ]);
  });

  it('a container gone between the list and its inspect keeps what the list said', async () => {
    const { engine } = engineWith({ goneAfterList: 'web' });
    const [web] = (await backend(engine).containers?.()) ?? [];
    expect(web).toEqual({ name: 'web', state: 'running', health: 'starting' });
  });

  it('no running deployment: none, and the engine is not asked', async () => {
    const { engine, inspected } = engineWith();
    let listedCalls = 0;
    const counting = {
      ...engine,
      listContainers: async () => {
        listedCalls++;
        return engine.listContainers();
      },
    };
    expect(await backend(counting, false).containers?.()).toEqual([]);
    expect(listedCalls).toBe(0);
    expect(inspected).toEqual([]);
  });

  it('an engine that cannot list: the error reaches the caller (the page says the engine is down)', async () => {
    const down = Object.assign(new Error('listing containers: Docker engine unreachable (ENOENT)'), {
      code: 'ENGINE_UNREACHABLE',
    });
    const engine = {
      listContainers: async () => {
        throw down;
      },
    };
    await expect(backend(engine).containers?.()).rejects.toBe(down);
  });
});
