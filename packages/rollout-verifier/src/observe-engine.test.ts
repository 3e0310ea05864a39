import { toCreateOptions } from '@stow/docker-planner';
import { FakeEngine } from '@stow/docker-planner/testing';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { observeContainers } from './observe-engine.js';

const HASH = 'd'.repeat(64);
const IMAGE = `registry.example.com/shop/web:1@sha256:${'1'.repeat(64)}`;

/** Creates and starts `name` on the fake engine as the applier would. */
async function started(engine: FakeEngine, name: string, healthcheck = false): Promise<string> {
  const { body } = toCreateOptions(
    name,
    { image: IMAGE, ...(healthcheck ? { healthcheck: { test: ['CMD', 'true'] } } : {}) },
    { deploymentName: 'shop', deploymentHash: HASH, snapshotDir: '/snap', envFromFiles: {} },
  );
  const id = await engine.createContainer(body);
  await engine.startContainer(id);
  return id;
}

const expected = (containers: string[]) => ({ deploymentName: 'shop', deploymentHash: HASH, containers });

describe('observeContainers over the Docker port', () => {
  it('inspects each expected container by name; one that does not exist is missing', async () => {
    const engine = new FakeEngine();
    const id = await started(engine, 'web', true);
    const observations = await observeContainers(engine, ['web', 'db'])();
    expect(observations).toMatchObject([
      { name: 'web', exists: true, id, status: 'running', health: { status: 'healthy' } },
      { name: 'db', exists: false },
    ]);
    expect(engine.calls.filter((c) => c.startsWith('inspect'))).toEqual(['inspect web', 'inspect db']);
    expect(evaluate(observations, expected(['web', 'db'])).containers).toEqual({
      web: { valid: true, reason: 'healthy', terminal: false },
      db: { valid: false, reason: 'missing', terminal: false },
    });
  });

  it.each([
    [{ kind: 'unhealthy', probeExitCode: 7 } as const, 'unhealthy (last probe exit code 7)'],
    [{ kind: 'exits', exitCode: 137, oomKilled: true } as const, 'exited (code 137, OOM killed)'],
    [{ kind: 'exits', exitCode: 3 } as const, 'exited (code 3)'],
    [{ kind: 'restarts', restartCount: 2 } as const, 'restarted 2 times (last exit 1), now restarting'],
  ])('a container that does %j is judged "%s"', async (behaviour, reason) => {
    const engine = new FakeEngine();
    engine.script({ name: 'web' }, behaviour);
    await started(engine, 'web', true);
    const evaluation = evaluate(await observeContainers(engine, ['web'])(), expected(['web']));
    expect(evaluation.containers.web).toMatchObject({ valid: false, reason });
  });

  it('never puts a probe output into the reason (it may print env values)', async () => {
    const engine = new FakeEngine();
    engine.script({ name: 'web' }, { kind: 'unhealthy', probeOutput: 'PASSWORD=hunter22' });
    await started(engine, 'web', true);
    const evaluation = evaluate(await observeContainers(engine, ['web'])(), expected(['web']));
    expect(JSON.stringify(evaluation)).not.toContain('hunter22');
  });

  it('passes engine failures on (verifyRollout counts them as invalid observations)', async () => {
    const engine = new FakeEngine();
    engine.unreachable = true;
    await expect(observeContainers(engine, ['web'])()).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE' });
  });
});
