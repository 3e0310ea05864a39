import type { HostLock } from '@stow/snapshot-store';
import { applyTarget, planTarget, verifyTarget } from './docker-steps.js';
import type { ReconcileOutcome } from './outcome.js';
import { commitSnapshot, type PreparedRevision, prepareRevision, summarise, targetOf } from './pipeline.js';
import type { ReconcileContext, ReconcileRequest } from './reconcile-context.js';
import { convergeTo, rollBack, targetOfPrevious } from './rollback.js';
import { reasonOf, StepFailure, step } from './step-failure.js';

const DEFAULT_LOCK_WAIT_MS = 10 * 60_000;

/**
 * One reconcile, the outer shell (SPEC section 9): take the host lock, recover an interrupted apply,
 * run the pipeline, and turn every failure into an outcome. Never throws for a failed deploy.
 */
export async function runReconcile(
  context: ReconcileContext,
  request: ReconcileRequest,
): Promise<ReconcileOutcome> {
  const { store, log } = context;
  let lock: HostLock | undefined;
  try {
    await step('lock', () => store.prepare());
    lock = await step('lock', () =>
      store.lock({
        purpose: request.dryRun ? 'dry-run' : 'reconcile',
        waitMs: context.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
      }),
    );
    if (!request.dryRun) {
      const recovered = await recoverInterruptedApply(context);
      if (recovered) return recovered;
    }
    return await reconcileLocked(context, request);
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure('lock', error);
    log.log('error', 'reconcile failed before changing anything', {
      step: failure.step,
      reason: failure.message,
    });
    return { kind: 'failed', step: failure.step, terminal: failure.terminal, reason: failure.message };
  } finally {
    await lock?.release();
  }
}

/**
 * A running-config.previous left behind means an apply was interrupted (crash, kill -9, power loss):
 * roll back to it before anything else. Returns an outcome only when the host needs a person.
 */
async function recoverInterruptedApply(context: ReconcileContext): Promise<ReconcileOutcome | undefined> {
  const { store, log } = context;
  const previous = await step('recover', () => store.previous());
  if (!previous) return undefined;
  const running = await step('recover', () => store.running());
  log.log('warn', 'found an interrupted apply: rolling back before reconciling', {
    interrupted: running?.deploymentHash,
    previous: previous.kind === 'snapshot' ? previous.deploymentHash : 'nothing',
  });
  const name = running ? (await store.readMetadata(running)).deploymentName : undefined;
  const target = await step('recover', () => targetOfPrevious(context, previous, name ?? ''));
  const result = await rollBack(context, target.deploymentName);
  if (result.ok) return undefined;
  log.log('error', 'recovery failed: the host needs attention', { reason: result.reason });
  return {
    kind: 'rollbackFailed',
    failedDeploymentHash: running?.deploymentHash,
    step: 'recover',
    reason: result.reason,
  };
}

async function reconcileLocked(
  context: ReconcileContext,
  request: ReconcileRequest,
): Promise<ReconcileOutcome> {
  const { source, store, quarantine, log } = context;
  const gitRevision = request.revision ?? (await step('resolve', () => source.defaultBranchHead())).sha;
  const stagingDir = await step('fetch', () => store.createStaging());
  try {
    const prepared = await prepareRevision(context, gitRevision, stagingDir);
    const hash = prepared.hashes.deploymentHash;

    const failedBefore = request.trigger === 'poll' ? await quarantine.get(hash) : undefined;
    if (failedBefore) {
      log.log('info', 'desired deployment failed before; keeping the running one', { deployment_hash: hash });
      await repairRunning(context);
      return { kind: 'quarantined', deploymentHash: hash, gitRevision, reason: failedBefore.reason };
    }

    const target = targetOf(prepared.manifest, hash, `${store.layout.snapshotsDir}/${hash}`);
    const plan = await step('plan', () => planTarget(context, target));
    const summary = summarise(prepared, plan);
    if (request.dryRun) return { kind: 'planned', plan: summary };

    const running = await step('snapshot', () => store.running());
    if (plan.unchanged && running?.deploymentHash === hash) {
      log.log('info', 'host already converged', { deployment_hash: hash });
      await quarantine.release(hash);
      return { kind: 'converged', deploymentHash: hash, gitRevision, changed: false, plan: summary };
    }
    request.onTarget?.({ gitRevision, deploymentHash: hash });
    return await applyRevision(context, prepared, summary);
  } finally {
    await store.discardStaging(stagingDir);
  }
}

/** snapshot -> switch running-config -> apply -> verify -> confirm, or roll back. */
async function applyRevision(
  context: ReconcileContext,
  prepared: PreparedRevision,
  summary: ReturnType<typeof summarise>,
): Promise<ReconcileOutcome> {
  const { store, quarantine, log } = context;
  const hash = prepared.hashes.deploymentHash;
  const snapshot = await commitSnapshot(context, prepared);
  await step('snapshot', () => store.switchTo(hash));
  const target = targetOf(prepared.manifest, hash, snapshot.dir);
  log.log('info', 'applying', {
    deployment_hash: hash,
    actions: summary.actions.map((a) => `${a.container}:${a.action}`),
  });

  let failure: { step: 'apply' | 'verify'; reason: string } | undefined;
  try {
    // Plan again on the same observation rules: the first plan was made before the lock's wait.
    await applyTarget(context, await planTarget(context, target), target);
    const verified = await verifyTarget(context, target);
    if (!verified.ok) failure = { step: 'verify', reason: verified.reason };
  } catch (error) {
    failure = { step: 'apply', reason: reasonOf(error) };
  }

  if (!failure) {
    await store.confirm();
    await quarantine.release(hash);
    const removed = await store.collectGarbage(context.keepSnapshots);
    log.log('info', 'converged', {
      deployment_hash: hash,
      git_revision: prepared.gitRevision,
      gc_removed: removed,
    });
    return {
      kind: 'converged',
      deploymentHash: hash,
      gitRevision: prepared.gitRevision,
      changed: true,
      plan: summary,
    };
  }

  log.log('error', 'deployment failed', {
    deployment_hash: hash,
    step: failure.step,
    reason: failure.reason,
  });
  await quarantine.add({
    deploymentHash: hash,
    gitRevision: prepared.gitRevision,
    reason: failure.reason,
    at: new Date(context.clock.now()).toISOString(),
  });
  const rollback = await rollBack(context, prepared.manifest.deployment.name);
  if (!rollback.ok) {
    log.log('error', 'rollback failed: the host needs attention', { reason: rollback.reason });
    return {
      kind: 'rollbackFailed',
      failedDeploymentHash: hash,
      step: failure.step,
      reason: `${failure.reason}; ${rollback.reason}`,
    };
  }
  return {
    kind: 'rolledBack',
    failedDeploymentHash: hash,
    gitRevision: prepared.gitRevision,
    step: failure.step,
    reason: failure.reason,
    restoredDeploymentHash: rollback.restoredDeploymentHash,
    plan: summary,
  };
}

/** The desired hash is quarantined: make sure the host still runs running-config (drift repair). */
async function repairRunning(context: ReconcileContext): Promise<void> {
  const running = await step('snapshot', () => context.store.running());
  if (!running) return;
  const target = await step('plan', () => targetOfPrevious(context, running, ''));
  const result = await convergeTo(context, target);
  if (!result.ok)
    context.log.log('error', 'running deployment could not be repaired', { reason: result.reason });
}
