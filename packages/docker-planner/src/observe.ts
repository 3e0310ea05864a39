import type { DockerEngine } from './engine.js';
import type { ActualState } from './plan.js';

/** The `actual` input of plan(): one container list call (all containers) and one network list call. */
export async function observeActual(engine: DockerEngine): Promise<ActualState> {
  const [containers, networks] = await Promise.all([engine.listContainers(), engine.listNetworks()]);
  return { containers, networks };
}
