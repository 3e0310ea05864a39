import type { PreviousRef } from '@stow/snapshot-store';
import { applyTarget, planTarget, verifyTarget } from './docker-steps.js';
import type { ReconcileContext } from './reconcile-context.js';
import { parseRenderedManifest } from './rendered-manifest.js';
import { reasonOf } from './step-failure.js';
import type { TargetDeployment } from './target.js';

export type RollbackResult =
  | { readonly ok: true; readonly restoredDeploymentHash: string | undefined }
  | { readonly ok: false; readonly reason: string };

/** How converging on a known deployment ended; `step` says how far it got (`plan`: nothing was changed). */
export type ConvergeResult =
  | { readonly ok: true; readonly restoredDeploymentHash: string | undefined; readonly changed: boolean }
  | { readonly ok: false; readonly step: 'plan' | 'apply' | 'verify'; readonly reason: string };

/**
 * SPEC section 9: running-config.previous goes back to running-config, then Docker is planned back
 * to the previous deployment from its rendered manifest with the same rules, applied and verified.
 * With nothing before (first deploy), everything of `deploymentName` is removed instead. Never throws.
 */
export async function rollBack(context: ReconcileContext, deploymentName: string): Promise<RollbackResult> {
  const { store, log } = context;
  try {
    const previous = await store.restorePrevious();
    const target = await targetOfPrevious(context, previous, deploymentName);
    log.log('warn', 'rolling back', {
      to: target.manifest ? target.deploymentHash : 'nothing (first deploy)',
      deployment: target.deploymentName,
    });
    await waitForEngine(context);
    return rollbackResultOf(await convergeTo(context, target));
  } catch (error) {
    return { ok: false, reason: `rollback failed: ${reasonOf(error)}` };
  }
}

/** A converge toward the previous deployment, as a rollback reports it. */
export function rollbackResultOf(result: ConvergeResult): RollbackResult {
  if (result.ok) return { ok: true, restoredDeploymentHash: result.restoredDeploymentHash };
  return {
    ok: false,
    reason:
      result.step === 'verify'
        ? `previous deployment did not verify: ${result.reason}`
        : `rollback failed at ${result.step}: ${result.reason}`,
  };
}

/** How long a rollback waits for an engine that does not answer (dockerd restarting) by default. */
const DEFAULT_ENGINE_WAIT_MS = 60_000;
const ENGINE_PROBE_MS = 1000;

/**
 * A rollback needs the engine: when it does not answer (the failure may have been dockerd restarting),
 * wait for it a bounded time (`engineWaitMs`) rather than give up at once and leave the host half
 * applied. Returns when the engine answers or the time is up; the rollback's plan then reports why.
 */
async function waitForEngine(context: ReconcileContext): Promise<void> {
  const { engine, clock, log } = context;
  const deadline = clock.now() + (context.engineWaitMs ?? DEFAULT_ENGINE_WAIT_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      await engine.listContainers();
      if (attempt > 0) log.log('info', 'the Docker engine answers again', { waited_probes: attempt });
      return;
    } catch (error) {
      if (attempt === 0)
        log.log('warn', 'the Docker engine does not answer: waiting for it before rolling back', {
          reason: reasonOf(error),
          wait_ms: context.engineWaitMs ?? DEFAULT_ENGINE_WAIT_MS,
        });
      if (clock.now() >= deadline) return;
      await clock.sleep(ENGINE_PROBE_MS);
    }
  }
}

/**
 * Plans, applies and verifies `target`; used by rollback and by repairs toward running-config.
 * Never throws: a failure names the step it stopped at.
 */
export async function convergeTo(
  context: ReconcileContext,
  target: TargetDeployment,
): Promise<ConvergeResult> {
  let step: 'plan' | 'apply' | 'verify' = 'plan';
  try {
    const plan = await planTarget(context, target);
    step = 'apply';
    if (!plan.unchanged) await applyTarget(context, plan, target);
    if (!target.manifest) return { ok: true, restoredDeploymentHash: undefined, changed: !plan.unchanged };
    step = 'verify';
    const verified = await verifyTarget(context, target);
    if (!verified.ok) return { ok: false, step, reason: verified.reason };
    context.log.log('info', 'deployment verified', { deployment_hash: target.deploymentHash });
    return { ok: true, restoredDeploymentHash: target.deploymentHash, changed: !plan.unchanged };
  } catch (error) {
    return { ok: false, step, reason: reasonOf(error) };
  }
}

export async function targetOfPrevious(
  context: ReconcileContext,
  previous: PreviousRef,
  deploymentName: string,
): Promise<TargetDeployment> {
  if (previous.kind === 'nothing') {
    return { deploymentName, deploymentHash: '', manifest: undefined, snapshotDir: undefined };
  }
  const rendered = parseRenderedManifest(await context.store.readRenderedManifest(previous), previous.dir);
  return {
    deploymentName: rendered.manifest.deployment.name,
    deploymentHash: previous.deploymentHash,
    manifest: rendered.manifest,
    snapshotDir: previous.dir,
  };
}
