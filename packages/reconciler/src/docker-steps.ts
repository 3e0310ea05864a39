import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  applyPlan,
  type CreateOptions,
  type DockerEngine,
  mergeEnvFiles,
  observeActual,
  type Plan,
  plan,
  type RegistryAuthLookup,
  toCreateOptions,
} from '@stow/docker-planner';
import type { DockerSteps, TargetDeployment } from './docker-port.js';
import { verifyDeployment } from './docker-verify.js';
import type { Clock } from './ports.js';

export interface DockerStepsOptions {
  readonly engine: DockerEngine;
  readonly registryAuth: RegistryAuthLookup;
  readonly clock: Clock;
  /** How often verification inspects the containers (default 1000 ms). */
  readonly verifyPollMs?: number;
}

/** The Docker side of a reconcile on the real planner and verifier (SPEC sections 7 and 8). */
export function createDockerSteps(options: DockerStepsOptions): DockerSteps {
  const { engine } = options;
  return {
    async plan(target) {
      const actual = await observeActual(engine);
      return plan(
        {
          deploymentName: target.deploymentName,
          deploymentHash: target.deploymentHash,
          containers: Object.keys(target.manifest?.containers ?? {}),
          networks: target.manifest?.networks ?? {},
        },
        actual,
      );
    },

    async apply(dockerPlan, target, log) {
      const createOptions = await createOptionsOf(target);
      await applyPlan(dockerPlan as Plan, createOptions, engine, {
        registryAuth: options.registryAuth,
        onProgress: (event) =>
          log.log('info', `docker ${event.step}`, { target: event.target, detail: event.detail }),
      });
    },

    verify: (target, log) => verifyDeployment(target, { ...options, log }),
  };
}

/** The Engine API create bodies of the target's containers; env files are read from the snapshot. */
async function createOptionsOf(target: TargetDeployment): Promise<Record<string, CreateOptions>> {
  const { manifest, snapshotDir } = target;
  if (!manifest || !snapshotDir) return {};
  const result: Record<string, CreateOptions> = {};
  for (const [name, spec] of Object.entries(manifest.containers)) {
    result[name] = toCreateOptions(name, spec, {
      deploymentName: target.deploymentName,
      deploymentHash: target.deploymentHash,
      snapshotDir,
      envFromFiles: await envFromFiles(snapshotDir, spec.envFiles ?? []),
    });
  }
  return result;
}

async function envFromFiles(snapshotDir: string, files: readonly string[]): Promise<Record<string, string>> {
  const texts = await Promise.all(
    files.map(async (file) => ({ file, text: await fs.readFile(path.join(snapshotDir, file), 'utf8') })),
  );
  return mergeEnvFiles(texts);
}
