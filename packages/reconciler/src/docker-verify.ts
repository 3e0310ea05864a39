import type { DockerEngine } from '@stow/docker-planner';
import { type Evaluation, observeContainers, verifyRollout } from '@stow/rollout-verifier';
import type { TargetDeployment, VerifyResult } from './docker-port.js';
import type { Clock } from './ports.js';
import type { ReconcileLog } from './reconcile-log.js';

export interface VerifyDeploymentOptions {
  readonly engine: DockerEngine;
  readonly clock: Clock;
  readonly log: ReconcileLog;
  readonly verifyPollMs?: number;
}

/** SPEC section 8 on the real engine: the target's containers, its stow.yaml verify windows. */
export async function verifyDeployment(
  target: TargetDeployment,
  options: VerifyDeploymentOptions,
): Promise<VerifyResult> {
  const { manifest } = target;
  if (!manifest) return { ok: true };
  const containers = Object.keys(manifest.containers);
  const { stableSeconds, timeoutSeconds } = manifest.deployment.verify;
  options.log.log('info', 'verifying', {
    deployment_hash: target.deploymentHash,
    stable_seconds: stableSeconds,
    timeout_seconds: timeoutSeconds,
  });
  let lastReported = '';
  const outcome = await verifyRollout({
    observe: observeContainers(options.engine, containers),
    clock: options.clock,
    stableMs: stableSeconds * 1000,
    timeoutMs: timeoutSeconds * 1000,
    pollMs: options.verifyPollMs,
    expected: { deploymentName: target.deploymentName, deploymentHash: target.deploymentHash, containers },
    onProgress: ({ evaluation, stableForMs }) => {
      // Report changes only: the poll runs every second.
      const state = stableForMs === undefined ? invalidSummary(evaluation) : 'valid';
      if (state !== lastReported) options.log.log('info', 'verification', { state });
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
