import { removeLeftJobContainers } from '@stow/docker-planner';
import type { HostLock } from '@stow/snapshot-store';
import { bookkeeping, withWarnings } from './bookkeeping.js';
import { applyTarget, planTarget, verifyTarget } from './docker-steps.js';
import { FailureForensics } from './forensics.js';
import { JobFailure, type JobRunRecord, runJobs } from './jobs.js';
import type { ReconcileOutcome } from './outcome.js';
import { commitSnapshot, type PreparedRevision, prepareRevision, summarise, targetOf } from './pipeline.js';
import { pullImages } from './pull-images.js';
import type { ReconcileContext, ReconcileRequest, ReconcileTrigger } from './reconcile-context.js';
import { type RunFacts, recordInHistory } from './record-history.js';
import { convergeTo, rollBack, rollbackResultOf, targetOfPrevious } from './rollback.js';
import { secretRedactor } from './secret-redactor.js';
import { reasonOf, StepFailure, step } from './step-failure.js';

const DEFAULT_LOCK_WAIT_MS = 10 * 60_000;

/** What one reconcile learns as it goes, for its outcome and its history entry. */
interface HostChanges extends RunFacts {
  /**
   * Whether this reconcile has changed what the host runs (running-config or Docker). Until it has,
   * any failure is `failed` ("nothing changed"); after, failures are handled where they happen.
   */
  touched: boolean;
}

/** Automatic runs keep a quarantined deployment hash out; an explicit trigger or `stow reconcile` retries it. */
const RETRIES_QUARANTINED: ReadonlySet<ReconcileTrigger> = new Set(['trigger', 'manual']);

/**
 * One reconcile, the outer shell (SPEC section 9): take the host lock, recover an interrupted apply,
 * run the pipeline, turn every failure into an outcome and, still under the lock, record it in the
 * history (not a dry run). Never throws.
 */
export async function runReconcile(
  context: ReconcileContext,
  request: ReconcileRequest,
): Promise<ReconcileOutcome> {
  const { store, log } = context;
  const host: HostChanges = {
    touched: false,
    startedAt: context.clock.now(),
    gitRevision: undefined,
    deploymentHash: undefined,
    plan: undefined,
    redact: undefined,
    forensics: new FailureForensics(context.engine, log, context.forensicsTimeoutMs),
  };
  let lock: HostLock | undefined;
  try {
    await step('lock', () => store.prepare());
    lock = await step('lock', () =>
      store.lock({
        purpose: request.dryRun ? 'dry-run' : 'reconcile',
        waitMs: context.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
      }),
    );
  } catch (error) {
    // Not in the history: only the holder of the lock writes it, and the holder is another run
    // (or the state directory is unusable). The outcome and the log say it.
    return outcomeOfFailure(context, host, error);
  }
  try {
    const outcome = await reconcileUnderLock(context, request, host);
    return request.dryRun ? outcome : await recordInHistory(context, request, host, outcome);
  } finally {
    await lock.release().catch((error: unknown) => {
      log.log('warn', 'could not release the host lock', { reason: reasonOf(error) });
    });
  }
}

async function reconcileUnderLock(
  context: ReconcileContext,
  request: ReconcileRequest,
  host: HostChanges,
): Promise<ReconcileOutcome> {
  try {
    if (!request.dryRun) {
      const recovered = await recoverInterruptedApply(context);
      if (recovered) return recovered;
    }
    return await reconcileLocked(context, request, host);
  } catch (error) {
    return outcomeOfFailure(context, host, error);
  }
}

/** A failure that reached the outer shell: `failed` before the host changed, else loudly `rollbackFailed`. */
function outcomeOfFailure(context: ReconcileContext, host: HostChanges, error: unknown): ReconcileOutcome {
  const { log } = context;
  const failure = error instanceof StepFailure ? error : new StepFailure('lock', error);
  if (host.touched) {
    // Every step after the host changed handles its own failures; reaching this is a bug, reported loudly.
    log.log('error', 'reconcile failed after changing the host', {
      step: failure.step,
      reason: failure.message,
    });
    return {
      kind: 'rollbackFailed',
      failedDeploymentHash: undefined,
      step: failure.step,
      reason: failure.message,
    };
  }
  log.log('error', 'reconcile failed before changing anything', {
    step: failure.step,
    reason: failure.message,
  });
  return { kind: 'failed', step: failure.step, terminal: failure.terminal, reason: failure.message };
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
  const name = running
    ? await step('recover', async () => (await store.readMetadata(running)).deploymentName)
    : '';
  const target = await step('recover', () => targetOfPrevious(context, previous, name));
  // A job running when the apply was interrupted: its container goes first, it never counts.
  for (const deployment of new Set([name, target.deploymentName].filter(Boolean))) {
    const left = await step('recover', () => removeLeftJobContainers(context.engine, deployment));
    if (left.length > 0)
      log.log('warn', 'removed job containers of the interrupted apply', { containers: left });
  }
  let result = await rollBack(context, target.deploymentName);
  if (!result.ok) {
    // The killed run's engine requests outlive it: a stop, remove or create it had sent can land
    // after this plan was made (seen: an old container planned noop, then stopped by the dead run's
    // stop while the rollback verified it). One fresh plan sees what landed and converges again.
    log.log(
      'warn',
      'recovery did not verify: planning again, as the interrupted run may have changed Docker since',
      {
        reason: result.reason,
      },
    );
    result = rollbackResultOf(await convergeTo(context, target));
  }
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
  host: HostChanges,
): Promise<ReconcileOutcome> {
  const { source, store, quarantine, log } = context;
  const gitRevision = request.revision ?? (await step('resolve', () => source.defaultBranchHead())).sha;
  host.gitRevision = gitRevision;
  const stagingDir = await step('fetch', () => store.createStaging());
  try {
    const prepared = await prepareRevision(context, gitRevision, stagingDir);
    const hash = prepared.hashes.deploymentHash;
    host.deploymentHash = hash;

    if (!request.dryRun && !RETRIES_QUARANTINED.has(request.trigger)) {
      const failedBefore = await step('quarantine', () => quarantine.get(hash));
      if (failedBefore) {
        log.log('info', 'desired deployment failed before; keeping the running one', {
          deployment_hash: hash,
          trigger: request.trigger,
        });
        return await keepRunning(context, host, {
          deploymentHash: hash,
          gitRevision,
          reason: failedBefore.reason,
        });
      }
    }

    const target = targetOf(prepared.manifest, hash, `${store.layout.snapshotsDir}/${hash}`);
    const plan = await step('plan', () => planTarget(context, target));
    const running = await step('snapshot', () => store.running());
    const alreadyRunning = plan.unchanged && running?.deploymentHash === hash;
    // Jobs run once per applied deployment: not again when the running one is only repaired.
    const runsJobs = running?.deploymentHash !== hash;
    const summary = summarise(prepared, plan, runsJobs);
    host.plan = summary;
    if (request.dryRun) return { kind: 'planned', plan: summary };

    if (alreadyRunning) {
      log.log('info', 'host already converged', { deployment_hash: hash });
      const warnings = await bookkeeping(context, [['quarantine', () => quarantine.release(hash)]]);
      return {
        kind: 'converged',
        deploymentHash: hash,
        gitRevision,
        changed: false,
        plan: summary,
        ...withWarnings(warnings),
      };
    }
    const { name, environment, daemonBaseUrl } = prepared.manifest.deployment;
    request.onTarget?.({
      gitRevision,
      deploymentHash: hash,
      deploymentName: name,
      environment,
      daemonBaseUrl,
    });
    const imagesPresent = await step('pull', () => pullImages(context, target));
    return await applyRevision(context, host, prepared, summary, { runsJobs, imagesPresent });
  } finally {
    await store.discardStaging(stagingDir).catch((error: unknown) => {
      // prepare() empties staging at the next reconcile.
      log.log('warn', 'could not remove the staging directory', { reason: reasonOf(error) });
    });
  }
}

/** (images pulled) snapshot -> switch running-config -> apply -> verify -> confirm, or roll back. */
async function applyRevision(
  context: ReconcileContext,
  host: HostChanges,
  prepared: PreparedRevision,
  summary: ReturnType<typeof summarise>,
  { runsJobs, imagesPresent }: { runsJobs: boolean; imagesPresent: readonly string[] },
): Promise<ReconcileOutcome> {
  const { store, quarantine, log } = context;
  const hash = prepared.hashes.deploymentHash;
  const snapshot = await commitSnapshot(context, prepared);
  const redact = await step('snapshot', () => secretRedactor(snapshot.dir, prepared.hashes.secretFiles));
  host.redact = redact;
  await step('snapshot', () => switchRunningConfig(context, hash));
  host.touched = true;
  const target = targetOf(prepared.manifest, hash, snapshot.dir);
  log.log('info', 'applying', {
    deployment_hash: hash,
    actions: summary.actions.map((a) => `${a.container}:${a.action}`),
  });

  const jobs: JobRunRecord[] = [];
  let failure: { step: 'apply' | 'verify' | 'job'; reason: string } | undefined;
  try {
    // Plan again right before applying: the summary's plan was observed before the snapshot was
    // committed, and the host lock keeps other stow processes out, not people or restart policies.
    // beforeApply jobs run once the images are pulled, before anything is stopped: a failed one
    // leaves the old containers as they were.
    const beforeStop = runsJobs
      ? () => runJobs(context, target, 'beforeApply', redact, jobs, host.forensics)
      : undefined;
    await applyTarget(context, await planTarget(context, target), target, { beforeStop, imagesPresent });
    const verified = await verifyTarget(context, target);
    if (!verified.ok) failure = { step: 'verify', reason: verified.reason };
    else if (runsJobs) await runJobs(context, target, 'afterVerify', redact, jobs, host.forensics);
  } catch (error) {
    failure = { step: error instanceof JobFailure ? 'job' : 'apply', reason: reasonOf(error) };
  }
  const jobsRan = jobs.length > 0 ? { jobs } : {};

  if (!failure) {
    // Verified: nothing below may undo it. Failures here are reported beside the outcome.
    let removed: string[] = [];
    const warnings = await bookkeeping(context, [
      ['confirm', () => store.confirm()],
      ['quarantine', () => quarantine.release(hash)],
      [
        'confirm',
        async () => {
          removed = await store.collectGarbage(context.keepSnapshots);
        },
      ],
    ]);
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
      ...jobsRan,
      ...withWarnings(warnings),
    };
  }

  log.log('error', 'deployment failed', {
    deployment_hash: hash,
    step: failure.step,
    reason: failure.reason,
  });
  // Quarantine before rolling back, so that a crash during the rollback still keeps automatic runs off
  // this hash; a failed write only costs one more automatic attempt and never skips the rollback.
  const warnings = await bookkeeping(context, [
    [
      'quarantine',
      () =>
        quarantine.add({
          deploymentHash: hash,
          gitRevision: prepared.gitRevision,
          reason: failure.reason,
          at: new Date(context.clock.now()).toISOString(),
        }),
    ],
  ]);
  // What failed is looked at before the rollback removes it (bounded; it never holds the rollback up).
  await host.forensics.captureFailed(Object.keys(prepared.manifest.containers), hash, redact);
  const rollback = await rollBack(context, prepared.manifest.deployment.name);
  if (!rollback.ok) {
    log.log('error', 'rollback failed: the host needs attention', { reason: rollback.reason });
    return {
      kind: 'rollbackFailed',
      failedDeploymentHash: hash,
      step: failure.step,
      reason: `${failure.reason}; ${rollback.reason}`,
      ...jobsRan,
      ...withWarnings(warnings),
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
    ...jobsRan,
    ...withWarnings(warnings),
  };
}

/**
 * running-config -> the new snapshot. When the switch fails, running-config still names what runs
 * (its rename is the last, atomic act); a running-config.previous it left is dropped so that the next
 * reconcile does not take it for an interrupted apply.
 */
async function switchRunningConfig(context: ReconcileContext, hash: string): Promise<void> {
  const { store } = context;
  try {
    await store.switchTo(hash);
  } catch (error) {
    const running = await store.running().catch(() => undefined);
    if (running?.deploymentHash !== hash && (await store.previous().catch(() => undefined))) {
      await store.confirm().catch(() => {});
    }
    throw error;
  }
}

/**
 * The desired hash is quarantined: keep the host on running-config, repairing drift (a stopped or
 * removed container) with the same plan/apply/verify as a rollback.
 */
async function keepRunning(
  context: ReconcileContext,
  host: HostChanges,
  quarantined: { deploymentHash: string; gitRevision: string; reason: string },
): Promise<ReconcileOutcome> {
  const skipped = { kind: 'quarantined', ...quarantined } as const;
  const running = await step('repair', () => context.store.running());
  if (!running) return { ...skipped, repaired: false };
  const target = await step('repair', () => targetOfPrevious(context, running, ''));
  const result = await convergeTo(context, target);
  if (result.ok) return { ...skipped, repaired: result.changed };
  if (result.step === 'plan')
    throw new StepFailure('repair', new Error(`repairing the running deployment: ${result.reason}`));
  host.touched = true;
  context.log.log('error', 'running deployment could not be repaired: the host needs attention', {
    step: result.step,
    reason: result.reason,
  });
  return {
    kind: 'repairFailed',
    quarantinedDeploymentHash: quarantined.deploymentHash,
    runningDeploymentHash: running.deploymentHash,
    step: result.step,
    reason: result.reason,
  };
}
