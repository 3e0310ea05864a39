import { describe, expect, it } from 'vitest';
import { plan } from './plan.js';
import { jobContainerName, removeLeftJobContainers, runJob, toJobCreateOptions } from './run-job.js';
import { FakeEngine } from './testing/fake-engine.js';

const IMAGE = `registry.example.com/shop/web:2@sha256:${'2'.repeat(64)}`;
const HASH = 'b'.repeat(64);
const context = { deploymentName: 'shop', deploymentHash: HASH, snapshotDir: '/snap/x', envFromFiles: {} };
const migrate = (timeoutSeconds = 300) => ({
  job: 'migrate',
  timeoutSeconds,
  options: toJobCreateOptions(
    'migrate',
    {
      image: IMAGE,
      command: ['migrate'],
      networks: ['backend', 'metrics'],
      when: 'beforeApply',
      timeoutSeconds,
    },
    context,
  ),
});

describe('toJobCreateOptions', () => {
  it('labels the job stow.job (not stow.container), never restarts it, and names it after deployment and job', () => {
    const { body, connectNetworks } = migrate().options;
    expect(body.name).toBe('shop.job.migrate');
    expect(jobContainerName('shop', 'migrate')).toBe(body.name);
    expect(body.Labels).toEqual({
      'stow.deployment': 'shop',
      'stow.hash': `v1:${HASH}`,
      'stow.job': 'migrate',
    });
    expect(body.HostConfig.RestartPolicy).toEqual({ Name: 'no' });
    expect(body.Cmd).toEqual(['migrate']);
    expect(connectNetworks).toEqual(['metrics']);
  });
});

describe('runJob', () => {
  it('runs a job to its exit code, keeps its last log line and duration, and removes its container', async () => {
    const engine = new FakeEngine();
    engine.script(
      { name: 'shop.job.migrate' },
      { kind: 'completes', exitCode: 0, logs: 'step 1\nall done\n\n' },
    );
    let clock = 1000;
    const run = await runJob(engine, migrate(), () => (clock += 250));
    expect(run).toEqual({ job: 'migrate', exitCode: 0, durationMs: 250, lastLogLine: 'all done' });
    expect(engine.calls).toEqual([
      'create shop.job.migrate',
      'connect metrics c-1 shop.job.migrate',
      'start c-1',
      'wait c-1 300000ms',
      'logs c-1 tail=20',
      'remove c-1',
    ]);
    expect(engine.containers.size).toBe(0);
  });

  it('returns a failing exit code as a run, not a throw', async () => {
    const engine = new FakeEngine();
    engine.script(
      { name: 'shop.job.migrate' },
      { kind: 'completes', exitCode: 3, logs: 'relation "x" exists' },
    );
    expect(await runJob(engine, migrate())).toMatchObject({
      exitCode: 3,
      lastLogLine: 'relation "x" exists',
    });
    expect(engine.containers.size).toBe(0);
  });

  it('kills a job that outlives its timeout: exit code undefined, container removed', async () => {
    const engine = new FakeEngine();
    engine.script({ name: 'shop.job.migrate' }, { kind: 'completes', exitCode: 0, runsForMs: 5000 });
    expect(await runJob(engine, migrate(2))).toMatchObject({ exitCode: undefined });
    expect(engine.calls).toContain('stop c-1 t=0');
    expect(engine.containers.size).toBe(0);
  });

  it('shows the exited container to beforeRemove before removing it; a throwing hook changes nothing', async () => {
    const engine = new FakeEngine();
    engine.script({ name: 'shop.job.migrate' }, { kind: 'completes', exitCode: 3, logs: 'boom\n' });
    const seen: string[] = [];
    const run = await runJob(engine, migrate(), Date.now, {
      async beforeRemove(id, finished) {
        const inspected = await engine.inspectContainer(id);
        seen.push(`${id} ${inspected?.status} ${inspected?.exitCode} ${finished.exitCode}`);
        throw new Error('forensics failed');
      },
    });
    expect(run).toMatchObject({ exitCode: 3, lastLogLine: 'boom' });
    expect(seen).toEqual(['c-1 exited 3 3']);
    expect(engine.calls.at(-1)).toBe('remove c-1');
    expect(engine.containers.size).toBe(0);
  });

  it('a job that cannot start is JOB_FAILED naming the job, and leaves no container', async () => {
    const engine = new FakeEngine();
    engine.failStart.add('shop.job.migrate');
    await expect(runJob(engine, migrate())).rejects.toMatchObject({
      code: 'JOB_FAILED',
      message: expect.stringMatching(/^job migrate: starting container c-1/),
    });
    expect(engine.containers.size).toBe(0);
  });
});

describe('job containers and the planner', () => {
  it('a job container is never a container to delete, and recovery removes it', async () => {
    const engine = new FakeEngine();
    engine.addContainer({
      id: 'job-1',
      name: 'shop.job.migrate',
      state: 'running',
      labels: { 'stow.deployment': 'shop', 'stow.hash': `v1:${HASH}`, 'stow.job': 'migrate' },
    });
    engine.addContainer({
      id: 'other',
      name: 'other.job.x',
      state: 'exited',
      labels: { 'stow.deployment': 'other', 'stow.job': 'x' },
    });
    const planned = plan(
      { deploymentName: 'shop', deploymentHash: HASH, containers: [], networks: {} },
      { containers: await engine.listContainers(), networks: [] },
    );
    expect(planned.actions).toEqual([]);
    expect(planned.unchanged).toBe(true);
    expect(await removeLeftJobContainers(engine, 'shop')).toEqual(['shop.job.migrate']);
    expect([...engine.containers.keys()]).toEqual(['other']);
  });
});
