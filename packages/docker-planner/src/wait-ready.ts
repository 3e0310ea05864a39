import type { DockerEngine } from './engine.js';
import { DockerPlannerError } from './errors.js';

export interface ReadyWait {
  /** How long the dependencies may take to become ready (the verification timeout). */
  readonly timeoutMs: number;
  /** Time between inspections; default 500 ms. */
  readonly pollMs?: number;
  readonly clock: { now(): number; sleep(ms: number): Promise<void> };
}

/**
 * Waits until every container is running and, when it has a healthcheck, healthy: what a container
 * that `dependsOn` them needs before it starts. Fails at once when one exits or turns unhealthy,
 * and with DEPENDENCY_NOT_READY when `timeoutMs` passes first.
 */
export async function waitUntilReady(
  engine: DockerEngine,
  containers: ReadonlyArray<{ readonly name: string; readonly id: string }>,
  wait: ReadyWait,
): Promise<void> {
  const deadline = wait.clock.now() + wait.timeoutMs;
  let pending = [...containers];
  for (;;) {
    const states = await Promise.all(
      pending.map(async (c) => ({ c, state: readiness(await engine.inspectContainer(c.id)) })),
    );
    const broken = states.find(({ state }) => state.kind === 'broken');
    if (broken) {
      throw new DockerPlannerError(
        'DEPENDENCY_NOT_READY',
        `dependency ${broken.c.name} ${broken.state.detail}; its dependents were not started`,
        { container: broken.c.name },
      );
    }
    pending = states.filter(({ state }) => state.kind === 'waiting').map(({ c }) => c);
    if (pending.length === 0) return;
    if (wait.clock.now() >= deadline) {
      const detail = states
        .filter(({ state }) => state.kind === 'waiting')
        .map(({ c, state }) => `${c.name} ${state.detail}`)
        .join(', ');
      throw new DockerPlannerError(
        'DEPENDENCY_NOT_READY',
        `dependencies not ready within ${Math.round(wait.timeoutMs / 1000)} s (${detail}); their dependents were not started`,
        pending[0] === undefined ? {} : { container: pending[0].name },
      );
    }
    await wait.clock.sleep(wait.pollMs ?? 500);
  }
}

interface Readiness {
  readonly kind: 'ready' | 'waiting' | 'broken';
  readonly detail: string;
}

function readiness(inspection: Awaited<ReturnType<DockerEngine['inspectContainer']>>): Readiness {
  if (!inspection) return { kind: 'broken', detail: 'is gone' };
  const { status, health } = inspection;
  if (status === 'exited' || status === 'dead') {
    return { kind: 'broken', detail: `exited with code ${inspection.exitCode}` };
  }
  if (status !== 'running') return { kind: 'waiting', detail: `is ${status}` };
  if (health === undefined || health.status === 'healthy') return { kind: 'ready', detail: 'is ready' };
  if (health.status === 'unhealthy') return { kind: 'broken', detail: 'is unhealthy' };
  return { kind: 'waiting', detail: `is ${health.status}` };
}
