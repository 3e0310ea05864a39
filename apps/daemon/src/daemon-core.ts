import { newReconcileId, type ReconcileOutcome, type ReconcileTrigger } from '@stow/reconciler';
import type { DaemonBackend, RunningDeployment } from './backend.js';
import { decideEnqueue, type EnqueueDecision, strongerTrigger } from './enqueue-decision.js';
import { DaemonError } from './errors.js';
import type { DaemonLogger } from './logger.js';
import { memoCache } from './memo-cache.js';
import { type ConvergenceState, statusOf } from './status-of.js';

/** One reconcile run as the API reports it. */
export interface ReconcileRecord {
  readonly id: string;
  readonly trigger: ReconcileTrigger;
  state: 'running' | 'finished';
  readonly startedAt: number;
  finishedAt?: number;
  outcome?: ReconcileOutcome['kind'];
  reason?: string;
  targetGitRevision?: string;
  targetDeploymentHash?: string;
  /** The run found changes and is applying them (`onTarget` was called). */
  applying: boolean;
}

/** The facts of GET /status (snake_case, as the JSON answer spells them). */
export interface StatusReport {
  readonly head_hash: string | null;
  readonly state: ConvergenceState;
  readonly expected_deployment_hash: string | null;
  readonly running_deployment_hash: string | null;
  readonly running_git_revision: string | null;
  readonly reconcile: {
    readonly id: string;
    readonly trigger: ReconcileTrigger;
    readonly state: 'running' | 'finished';
    readonly started_at: string;
    readonly finished_at: string | null;
    readonly outcome: ReconcileOutcome['kind'] | null;
    readonly reason: string | null;
    readonly target_git_revision: string | null;
    readonly target_deployment_hash: string | null;
  } | null;
  readonly error?: string;
}

/** Hooks for metrics; every field optional. */
export interface CoreObserver {
  reconcileFinished?(record: ReconcileRecord, outcome: ReconcileOutcome): void;
}

export interface DaemonCoreOptions {
  readonly backend: DaemonBackend;
  readonly logger: DaemonLogger;
  readonly observer?: CoreObserver;
  readonly now?: () => number;
  /** Commits whose deployment hash is remembered (default 1000). */
  readonly cacheEntries?: number;
  /** How long a failed resolution is remembered before it is tried again (default 60 s). */
  readonly failureTtlMs?: number;
  /** How long the running deployment read from disk is reused (default 1 s). */
  readonly runningTtlMs?: number;
}

const FAILED_REMEMBERED = 50;

/**
 * The daemon without HTTP: a coalescing reconcile queue (one runs, at most one waits), the commit ->
 * deployment hash cache, the map of failed deployment hashes, and the status of a commit.
 */
export class DaemonCore {
  readonly #backend: DaemonBackend;
  readonly #logger: DaemonLogger;
  readonly #observer: CoreObserver;
  readonly #now: () => number;
  readonly #commits = memoCache<string>({ maxEntries: 10_000, failureTtlMs: 5_000 });
  readonly #deployments;
  readonly #failed = new Map<string, string>();
  readonly #runningTtlMs: number;
  #runningRead: { at: number; value: Promise<RunningDeployment | undefined> } | undefined;
  #current: ReconcileRecord | undefined;
  #currentDone: Promise<void> | undefined;
  #pending: { trigger: ReconcileTrigger; gitRevision: string | undefined } | undefined;
  #last: ReconcileRecord | undefined;
  #report: { key: string; value: NonNullable<StatusReport['reconcile']> } | undefined;
  #stopping = false;
  #lastSuccessAt: number | undefined;

  constructor(options: DaemonCoreOptions) {
    this.#backend = options.backend;
    this.#logger = options.logger;
    this.#observer = options.observer ?? {};
    this.#now = options.now ?? Date.now;
    this.#runningTtlMs = options.runningTtlMs ?? 1_000;
    this.#deployments = memoCache<string>({
      maxEntries: options.cacheEntries ?? 1_000,
      failureTtlMs: options.failureTtlMs ?? 60_000,
      now: this.#now,
    });
  }

  /**
   * Remembers the failures the reconciler kept across a restart (its quarantine), so that a commit
   * whose deployment failed still reads `error` after the daemon restarts, not `different`.
   */
  async loadRememberedFailures(): Promise<void> {
    const failures = (await this.#backend.failedDeployments?.().catch(() => undefined)) ?? [];
    for (const failure of failures)
      this.#remember(failure.deploymentHash, this.#logger.redact(failure.reason));
  }

  /** Reconciles in progress plus waiting (0, 1 or 2). */
  get queueDepth(): number {
    return (this.#current ? 1 : 0) + (this.#pending ? 1 : 0);
  }

  get lastSuccessAt(): number | undefined {
    return this.#lastSuccessAt;
  }

  /** Asks for a reconcile to the newest default-branch commit; returns what the queue did with it. */
  async requestReconcile(trigger: ReconcileTrigger): Promise<EnqueueDecision | 'stopping'> {
    if (this.#stopping) return 'stopping';
    // The head decides whether the run in progress already covers this request, and lets a new run
    // report its target at once; a poll needs neither.
    let head: string | undefined;
    if (trigger !== 'poll' && !this.#pending) {
      head = await this.#backend.defaultBranchHead().then(
        (h) => h.sha,
        () => undefined,
      );
    }
    if (this.#stopping) return 'stopping';
    const last = this.#last;
    const lastConverged =
      last?.outcome === 'converged' && last.targetGitRevision !== undefined && last.finishedAt !== undefined
        ? { targetGitRevision: last.targetGitRevision, finishedAgoMs: this.#now() - last.finishedAt }
        : undefined;
    const decision = decideEnqueue(
      { current: this.#current, pending: this.#pending !== undefined, lastConverged },
      { trigger, head },
    );
    if (decision === 'start') this.#start(trigger, head);
    else if (decision === 'queue') this.#pending = { trigger, gitRevision: head };
    else if (this.#pending) {
      this.#pending = {
        trigger: strongerTrigger(this.#pending.trigger, trigger),
        gitRevision: head ?? this.#pending.gitRevision,
      };
    }
    this.#logger.log('debug', 'reconcile requested', { trigger, decision });
    return decision;
  }

  /** Stops taking reconciles, drops the pending one and waits for the one in progress (bounded). */
  async stop(timeoutMs: number): Promise<'idle' | 'timeout'> {
    this.#stopping = true;
    this.#pending = undefined;
    const running = this.#currentDone;
    if (!running) return 'idle';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([running.then(() => 'idle' as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** Resolves once nothing runs or waits (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.#currentDone) await this.#currentDone;
  }

  /** The full sha of a commit that may be deployed: known (else 404) and on the default branch (else 422). */
  async deployableCommit(sha: string): Promise<string> {
    const full = await this.#knownCommit(sha);
    const merged = await this.#source(() => this.#backend.isOnDefaultBranch(full));
    if (!merged) {
      throw new DaemonError(
        'NOT_ON_DEFAULT_BRANCH',
        `head_hash ${full} is not on the default branch; only merged commits can be deployed`,
      );
    }
    return full;
  }

  /** The status of a commit, or of the default branch head when `sha` is undefined. */
  async status(sha: string | undefined): Promise<StatusReport> {
    const runningFacts = async () => {
      const running = await this.running().catch(() => undefined);
      return {
        running,
        base: {
          running_deployment_hash: running?.deploymentHash ?? null,
          running_git_revision: running?.gitRevision ?? null,
          reconcile: this.reconcileReport(),
        },
      };
    };
    let commit: string;
    if (sha === undefined) {
      try {
        commit = (await this.#backend.defaultBranchHead()).sha;
      } catch (error) {
        return {
          head_hash: null,
          state: 'error',
          expected_deployment_hash: null,
          ...(await runningFacts()).base,
          error: `cannot read the default branch head: ${this.#reason(error)}`,
        };
      }
    } else {
      commit = await this.#knownCommit(sha);
    }
    let expected: string;
    try {
      expected = await this.#deployments.get(commit, async () => {
        return (await this.#backend.resolveDeployment(commit)).deploymentHash;
      });
    } catch (error) {
      return {
        head_hash: commit,
        state: 'error',
        expected_deployment_hash: null,
        ...(await runningFacts()).base,
        error: `cannot resolve the deployment of ${commit}: ${this.#reason(error)}`,
      };
    }
    // The queue is read before what runs: a run finishing in between is then seen as still running
    // (a moment late), never as `different`.
    const current = this.#current;
    const applying = current?.applying ?? false;
    const currentTarget =
      current?.targetDeploymentHash ??
      (current?.targetGitRevision ? this.#deployments.peek(current.targetGitRevision) : undefined);
    const pendingTarget = this.#pending?.gitRevision
      ? this.#deployments.peek(this.#pending.gitRevision)
      : undefined;
    const { running, base } = await runningFacts();
    const verdict = statusOf({
      expected,
      inProgress: current && currentTarget ? { deploymentHash: currentTarget, applying } : undefined,
      pending: pendingTarget,
      running: running?.deploymentHash,
      failed: this.#failed,
    });
    return {
      head_hash: commit,
      state: verdict.state,
      expected_deployment_hash: expected,
      ...base,
      ...(verdict.error === undefined ? {} : { error: verdict.error }),
    };
  }

  /** What the host runs, read from the snapshot store at most once per `runningTtlMs`. */
  running(): Promise<RunningDeployment | undefined> {
    const now = this.#now();
    if (!this.#runningRead || now - this.#runningRead.at >= this.#runningTtlMs) {
      const value = this.#backend.running();
      value.catch(() => {
        this.#runningRead = undefined;
      });
      this.#runningRead = { at: now, value };
    }
    return this.#runningRead.value;
  }

  #start(trigger: ReconcileTrigger, head?: string): void {
    const record: ReconcileRecord = {
      id: newReconcileId(),
      trigger,
      state: 'running',
      startedAt: this.#now(),
      applying: false,
      // Provisional until the run reads the head itself.
      ...(head === undefined ? {} : { targetGitRevision: head }),
    };
    this.#current = record;
    this.#currentDone = this.#run(record).finally(() => {
      this.#current = undefined;
      this.#currentDone = undefined;
      const next = this.#pending;
      this.#pending = undefined;
      if (next && !this.#stopping) this.#start(next.trigger, next.gitRevision);
    });
  }

  async #run(record: ReconcileRecord): Promise<void> {
    const log = this.#logger.forReconcile(record.id);
    log.log('info', 'reconcile started', { trigger: record.trigger });
    let outcome: ReconcileOutcome;
    try {
      // The newest commit of the default branch, read now: an older trigger never downgrades.
      const head = (await this.#backend.defaultBranchHead()).sha;
      record.targetGitRevision = head;
      outcome = await this.#backend.reconcile(
        {
          trigger: record.trigger,
          revision: head,
          onTarget: (target) => {
            record.targetDeploymentHash = target.deploymentHash;
            record.applying = true;
          },
        },
        log,
      );
    } catch (error) {
      outcome = { kind: 'failed', step: 'resolve', terminal: false, reason: this.#reason(error) };
    }
    this.#finish(record, outcome);
    log.log(
      outcome.kind === 'converged' || outcome.kind === 'planned' ? 'info' : 'error',
      'reconcile finished',
      {
        outcome: outcome.kind,
        reason: 'reason' in outcome ? outcome.reason : undefined,
        duration_ms: (record.finishedAt ?? 0) - record.startedAt,
      },
    );
  }

  #finish(record: ReconcileRecord, outcome: ReconcileOutcome): void {
    record.state = 'finished';
    record.finishedAt = this.#now();
    record.outcome = outcome.kind;
    if ('reason' in outcome) record.reason = this.#logger.redact(outcome.reason);
    this.#runningRead = undefined;
    switch (outcome.kind) {
      case 'converged':
        record.targetDeploymentHash = outcome.deploymentHash;
        this.#failed.delete(outcome.deploymentHash);
        this.#lastSuccessAt = record.finishedAt;
        break;
      case 'rolledBack':
      case 'quarantined': {
        const hash = outcome.kind === 'rolledBack' ? outcome.failedDeploymentHash : outcome.deploymentHash;
        record.targetDeploymentHash = hash;
        this.#remember(hash, this.#logger.redact(outcome.reason));
        break;
      }
      case 'rollbackFailed':
        if (outcome.failedDeploymentHash) {
          record.targetDeploymentHash = outcome.failedDeploymentHash;
          this.#remember(outcome.failedDeploymentHash, this.#logger.redact(outcome.reason));
        }
        break;
      default:
        break;
    }
    this.#last = record;
    this.#observer.reconcileFinished?.(record, outcome);
  }

  #remember(hash: string, reason: string): void {
    this.#failed.delete(hash);
    this.#failed.set(hash, reason);
    while (this.#failed.size > FAILED_REMEMBERED) {
      const oldest = this.#failed.keys().next().value;
      if (oldest === undefined) break;
      this.#failed.delete(oldest);
    }
  }

  async #knownCommit(sha: string): Promise<string> {
    // Positive and negative answers are memoised: commits are immutable; a 404 is retried after 5 s.
    return this.#source(() =>
      this.#commits.get(sha, async () => {
        const resolved = await this.#backend.resolveCommit(sha);
        if (resolved === undefined)
          throw new DaemonError('UNKNOWN_COMMIT', `head_hash ${sha} is not a known commit`);
        return resolved;
      }),
    );
  }

  /** Calls the desired-state source; failures other than DaemonError become SOURCE_UNAVAILABLE (503). */
  async #source<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DaemonError) throw error;
      throw new DaemonError(
        'SOURCE_UNAVAILABLE',
        `the deployment repository cannot be reached: ${this.#reason(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  #reason(error: unknown): string {
    return this.#logger.redact(error instanceof Error ? error.message : String(error));
  }

  /** The reconcile in progress, else the last one, as the API reports it. */
  reconcileReport(): StatusReport['reconcile'] {
    const record = this.#current ?? this.#last;
    if (!record) return null;
    // Every /status and badge request reads this: build it once per change of the record.
    const key = `${record.id}|${record.state}|${record.finishedAt}|${record.outcome}|${record.targetGitRevision}|${record.targetDeploymentHash}`;
    if (this.#report?.key === key) return this.#report.value;
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const value = {
      id: record.id,
      trigger: record.trigger,
      state: record.state,
      started_at: new Date(record.startedAt).toISOString(),
      finished_at: iso(record.finishedAt),
      outcome: record.outcome ?? null,
      reason: record.reason ?? null,
      target_git_revision: record.targetGitRevision ?? null,
      target_deployment_hash: record.targetDeploymentHash ?? null,
    };
    this.#report = { key, value };
    return value;
  }
}
