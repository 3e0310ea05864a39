import type { DockerEngine } from '@stow/docker-planner';
import type { Observation } from './observation.js';
import { observationOf } from './observation.js';

/** `observe` for verifyRollout over the Docker port: one inspect per expected container per poll, by name. */
export function observeContainers(
  engine: Pick<DockerEngine, 'inspectContainer'>,
  containers: readonly string[],
): () => Promise<Observation[]> {
  return () =>
    Promise.all(containers.map(async (name) => observationOf(name, await engine.inspectContainer(name))));
}
