import type Docker from 'dockerode';
import { RolloutVerifierError } from './errors.js';
import type { InspectLike, Observation } from './observation.js';
import { missingObservation, observationFromInspect } from './observation.js';

export interface DockerObserveOptions {
  /** Limit of each inspect call. Default 10 s. */
  readonly callTimeoutMs?: number;
}

/** `observe` for verifyRollout: one inspect per expected container per poll, by name; 404 -> missing. */
export function createDockerObserve(
  docker: Docker,
  containers: readonly string[],
  options: DockerObserveOptions = {},
): () => Promise<Observation[]> {
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  return () =>
    Promise.all(
      containers.map(async (name) => {
        try {
          const info = await docker
            .getContainer(name)
            .inspect({ abortSignal: AbortSignal.timeout(callTimeoutMs) });
          return observationFromInspect(info as unknown as InspectLike);
        } catch (error) {
          const failure = error as {
            statusCode?: number;
            json?: { message?: string } | null;
            message?: string;
          };
          if (failure?.statusCode === 404) return missingObservation(name);
          throw new RolloutVerifierError(
            'OBSERVE_FAILED',
            `inspecting container ${name}: ${failure?.json?.message ?? failure?.message ?? String(error)}`,
            { container: name, cause: error },
          );
        }
      }),
    );
}
