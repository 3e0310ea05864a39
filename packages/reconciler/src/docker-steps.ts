import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  applyPlan,
  type CreateOptions,
  mergeEnvFiles,
  observeActual,
  type Plan,
  plan,
  toCreateOptions,
} from '@stow/docker-planner';
import { type Evaluation, observeContainers, verifyRollout } from '@stow/rollout-verifier';
import type { ReconcileContext } from './reconcile-context.js';
import type { TargetDeployment, VerifyResult } from './target.js';

/** What the Docker steps need of a reconcile: the one Docker port and its settings. */
export type DockerContext = Pick<
  ReconcileContext,
  'engine' | 'registryAuth' | 'verifyPollMs' | 'applyConcurrency' | 'clock' | 'log'
>;

/** Observes the engine once and plans the target against it (SPEC section 7; plan() itself is pure). */
export async function planTarget(context: DockerContext, target: TargetDeployment): Promise<Plan> {
  return plan(
    {
      deploymentName: target.deploymentName,
      deploymentHash: target.deploymentHash,
      containers: Object.keys(target.manifest?.containers ?? {}),
      networks: target.manifest?.networks ?? {},
    },
    await observeActual(context.engine),
  );
}

/**
 * Pulls first (the jobs' images too when `beforeStop` runs the jobs of a new deployment), then
 * networks, `beforeStop` (the beforeApply jobs), stop/remove, create/start in dependsOn order, prune; throws on the first failure.
 * `imagesPresent`: the images pullImages() has just made sure of, not looked up again.
 */
export async function applyTarget(
  context: DockerContext,
  planned: Plan,
  target: TargetDeployment,
  {
    beforeStop,
    imagesPresent,
  }: { beforeStop?: (() => Promise<void>) | undefined; imagesPresent?: readonly string[] } = {},
): Promise<void> {
  const { log } = context;
  const { manifest } = target;
  await applyPlan(planned, await createOptionsOf(target), context.engine, {
    ...(context.registryAuth === undefined ? {} : { registryAuth: context.registryAuth }),
    ...(imagesPresent === undefined ? {} : { imagesPresent }),
    ...(context.applyConcurrency === undefined ? {} : { concurrency: context.applyConcurrency }),
    // Only a deploy that runs jobs pulls their images: a rollback or repair runs none.
    ...(beforeStop === undefined
      ? {}
      : { beforeStop, alsoPull: Object.values(manifest?.jobs ?? {}).map((job) => job.image) }),
    startOrder: {
      dependsOn: Object.fromEntries(
        Object.entries(manifest?.containers ?? {}).map(([name, spec]) => [name, spec.dependsOn]),
      ),
      // A dependency gets as long to be ready as verification gives the whole deployment.
      ready: {
        timeoutMs: (manifest?.deployment.verify.timeoutSeconds ?? 60) * 1000,
        clock: context.clock,
        ...(context.verifyPollMs === undefined ? {} : { pollMs: context.verifyPollMs }),
      },
    },
    onProgress: (event) =>
      log.log('info', `docker ${event.step}`, { target: event.target, detail: event.detail }),
  });
}

/** SPEC section 8 through the port: the target's containers, its stow.yaml verify windows. */
export async function verifyTarget(context: DockerContext, target: TargetDeployment): Promise<VerifyResult> {
  const { manifest } = target;
  if (!manifest) return { ok: true };
  const containers = Object.keys(manifest.containers);
  const { stableSeconds, timeoutSeconds } = manifest.deployment.verify;
  context.log.log('info', 'verifying', {
    deployment_hash: target.deploymentHash,
    stable_seconds: stableSeconds,
    timeout_seconds: timeoutSeconds,
  });
  let lastReported = '';
  const outcome = await verifyRollout({
    observe: observeContainers(context.engine, containers),
    clock: context.clock,
    stableMs: stableSeconds * 1000,
    timeoutMs: timeoutSeconds * 1000,
    pollMs: context.verifyPollMs,
    expected: { deploymentName: target.deploymentName, deploymentHash: target.deploymentHash, containers },
    onProgress: ({ evaluation, stableForMs }) => {
      // Report changes only: the poll runs every second.
      const state = stableForMs === undefined ? invalidSummary(evaluation) : 'valid';
      if (state !== lastReported) context.log.log('info', 'verification', { state });
      lastReported = state;
    },
  });
  return outcome.ok ? { ok: true } : { ok: false, reason: outcome.summary };
}

function invalidSummary(evaluation: Evaluation): string {
  return Object.entries(evaluation.containers)
    .filter(([, verdict]) => !verdict.valid)
    .map(([name, verdict]) => `${name}: ${verdict.reason}`)
    .join('; ');
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

/** The merged variables of env files, read from the snapshot (containers' and jobs'). */
export async function envFromFiles(
  snapshotDir: string,
  files: readonly string[],
): Promise<Record<string, string>> {
  const texts = await Promise.all(
    files.map(async (file) => ({ file, text: await fs.readFile(path.join(snapshotDir, file), 'utf8') })),
  );
  return mergeEnvFiles(texts);
}
