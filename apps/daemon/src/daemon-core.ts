import {
  type ApplyTarget,
  type HistoryEntry,
  type HistoryLogs,
  type JobRunRecord,
  newReconcileId,
  type ReconcileOutcome,
  type ReconcileTrigger,
} from '@stow/reconciler';
import type { DaemonBackend, RunningDeployment } from './backend.js';
import { type ClientRateLimit, clientRateLimit } from './client-rate-limit.js';
import {
  type Admit,
  CommitResolver,
  type CommitResolverOptions,
  isGitlabRateLimited,
} from './commit-resolver.js';
import { decideEnqueue, type EnqueueDecision, strongerTrigger } from './enqueue-decision.js';
import { DaemonError } from './errors.js';
import type { DaemonLogger } from './logger.js';
import { type ConvergenceState, statusOf } from './status-of.js';

/** Retry-After of a `pending` answer: when asking again is likely to find the commit resolved. */
export const PENDING_RETRY_AFTER_SECONDS = 2;

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
  /** The one-shot jobs the run ran (docs/jobs.md). */
  jobs?: ReadonlyArray<JobRunRecord>;
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
    readonly jobs: ReadonlyArray<{
      readonly job: string;
      readonly when: string;
      readonly outcome: string;
      readonly exit_code: number | null;
      readonly duration_ms: number;
    }>;
  } | null;
  readonly error?: string;
}

/**
 * Hooks for metrics, GitLab reports and notifications; every field optional. They run inside the
 * reconcile loop: they must return at once (queue their work) and a throw is logged, never propagated.
 */
export interface CoreObserver {
  /** The run found changes and starts applying `target` (called at most once per run). */
  reconcileApplying?(record: ReconcileRecord, target: ApplyTarget): void;
  reconcileFinished?(record: ReconcileRecord, outcome: ReconcileOutcome): void;
}

/** One observer that calls each of `observers` in turn. */
export function combineObservers(...observers: readonly CoreObserver[]): CoreObserver {
  return {
    reconcileApplying(record, target) {
      for (const observer of observers) observer.reconcileApplying?.(record, target);
    },
    reconcileFinished(record, outcome) {
      for (const observer of observers) observer.reconcileFinished?.(record, outcome);
    },
  };
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
  /** How long the running deployment and the quarantine read from disk are reused (default 1 s). */
  readonly runningTtlMs?: number;
  /** Bounds of commit resolution (concurrency 2, queue 8, unknown commits remembered 30 s). */
  readonly resolution?: Omit<CommitResolverOptions, 'backend' | 'now' | 'cacheEntries' | 'failureTtlMs'>;
  /**
   * How long a status waits for its answer before it says `pending` and lets the resolution go on
   * in the background (default 800 ms: /status and the badge answer within a second).
   */
  readonly answerWithinMs?: number;
  /** Per client: new commits it may make the daemon look up or resolve (default 60 a minute, 20 at once). */
  readonly clientLimit?: { readonly perMinute: number; readonly burst: number };
}

/** Who asks for a status: the rate limit applies per client (its IP address). */
export interface StatusOptions {
  readonly client?: string;
}

/**
 * The daemon without HTTP: a coalescing reconcile queue (one runs, at most one waits), bounded
 * commit resolution (CommitResolver), and the status of a commit. What failed is read from the
 * reconciler's quarantine on disk: one memory of failure, shared with `stow reconcile`.
 */
export class DaemonCore {
  readonly #backend: DaemonBackend;
  readonly #logger: DaemonLogger;
  readonly #observer: CoreObserver;
  readonly #now: () => number;
  readonly #resolver: CommitResolver;
  readonly #clients: ClientRateLimit;
  readonly #answerWithinMs: number;
  readonly #runningTtlMs: number;
  #runningRead: { at: number; value: Promise<RunningDeployment | undefined> } | undefined;
  #failuresRead: { at: number; value: Promise<ReadonlyMap<string, string>> } | undefined;
  readonly #requests = new Set<Promise<unknown>>();
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
    this.#answerWithinMs = options.answerWithinMs ?? 800;
    this.#resolver = new CommitResolver({
      ...options.resolution,
      backend: this.#backend,
      now: this.#now,
      ...(options.cacheEntries === undefined ? {} : { cacheEntries: options.cacheEntries }),
      ...(options.failureTtlMs === undefined ? {} : { failureTtlMs: options.failureTtlMs }),
    });
    this.#clients = clientRateLimit({ perMinute: 60, burst: 20, ...options.clientLimit, now: this.#now });
  }

  /** Resolutions running and waiting (tests, metrics). */
  get resolutionLoad(): { readonly running: number; readonly waiting: number } {
    return this.#resolver.load;
  }

  /**
   * Reads the quarantine once at start (failures are read from it, briefly cached, on every status;
   * nothing is copied into memory that `stow reconcile` could make stale).
   */
  async loadRememberedFailures(): Promise<void> {
    await this.#failures();
  }

  /** Reconciles in progress plus waiting (0, 1 or 2). */
  get queueDepth(): number {
    return (this.#current ? 1 : 0) + (this.#pending ? 1 : 0);
  }

  get lastSuccessAt(): number | undefined {
    return this.#lastSuccessAt;
  }

  /** Asks for a reconcile to the newest default-branch commit; returns what the queue did with it. */
  requestReconcile(trigger: ReconcileTrigger): Promise<EnqueueDecision | 'stopping'> {
    const request = this.#requestReconcile(trigger);
    this.#requests.add(request);
    void request.finally(() => this.#requests.delete(request)).catch(() => undefined);
    return request;
  }

  async #requestReconcile(trigger: ReconcileTrigger): Promise<EnqueueDecision | 'stopping'> {
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

  /** Resolves once nothing runs, waits or is being asked for (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.#currentDone || this.#requests.size > 0) {
      await Promise.allSettled([...this.#requests]);
      if (this.#currentDone) await this.#currentDone;
    }
  }

  /** The full sha of a commit that may be deployed: known (else 404) and on the default branch (else 422). */
  async deployableCommit(sha: string): Promise<string> {
    const full = await this.#source(() => this.#resolver.fullSha(sha));
    const merged = await this.#source(() => this.#backend.isOnDefaultBranch(full));
    if (!merged) {
      throw new DaemonError(
        'NOT_ON_DEFAULT_BRANCH',
        `head_hash ${full} is not on the default branch; only merged commits can be deployed`,
      );
    }
    return full;
  }

  /**
   * The status of a commit, or of the default branch head when `sha` is undefined, within
   * `answerWithinMs`: a commit whose resolution takes longer reads `pending` while it goes on in the
   * background. Throws UNKNOWN_COMMIT, BUSY (resolution at its bound) and RATE_LIMITED (this client
   * asked for too many new commits).
   */
  async status(sha: string | undefined, options: StatusOptions = {}): Promise<StatusReport> {
    const answer = this.#statusNow(sha, this.#admit(options.client));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#answerWithinMs);
    });
    try {
      const first = await Promise.race([answer, late]);
      if (first !== 'late') return first;
    } finally {
      clearTimeout(timer);
    }
    answer.catch(() => undefined); // it goes on in the background; its result lands in the caches
    return this.#pendingReport(sha === undefined ? undefined : (this.#resolver.knownFullSha(sha) ?? sha));
  }

  async #statusNow(sha: string | undefined, admit: Admit): Promise<StatusReport> {
    let commit: string;
    if (sha === undefined) {
      try {
        commit = (await this.#backend.defaultBranchHead()).sha;
      } catch (error) {
        return {
          ...(await this.#hostFacts()),
          head_hash: null,
          state: 'error',
          expected_deployment_hash: null,
          error: `cannot read the default branch head: ${this.#reason(error)}`,
        };
      }
    } else {
      commit = await this.#source(() => this.#resolver.fullSha(sha, admit));
    }
    let expected: string;
    try {
      expected = await this.#resolver.deploymentHash(commit, admit);
    } catch (error) {
      if (error instanceof DaemonError) throw error;
      // GitLab's archive limit: the commit waits for its turn; that is not a failure of the commit.
      if (isGitlabRateLimited(error)) return this.#pendingReport(commit);
      return {
        ...(await this.#hostFacts()),
        head_hash: commit,
        state: 'error',
        expected_deployment_hash: null,
        error: `cannot resolve the deployment of ${commit}: ${this.#reason(error)}`,
      };
    }
    // The queue is read before what runs: a run finishing in between is then seen as still running
    // (a moment late), never as `different`.
    const current = this.#current;
    const applying = current?.applying ?? false;
    const currentTarget =
      current?.targetDeploymentHash ??
      (current?.targetGitRevision
        ? this.#resolver.knownDeploymentHash(current.targetGitRevision)
        : undefined);
    const pendingTarget = this.#pending?.gitRevision
      ? this.#resolver.knownDeploymentHash(this.#pending.gitRevision)
      : undefined;
    const [facts, failed] = await Promise.all([this.#hostFacts(), this.#failures()]);
    const verdict = statusOf({
      expected,
      inProgress: current && currentTarget ? { deploymentHash: currentTarget, applying } : undefined,
      pending: pendingTarget,
      running: facts.running_deployment_hash ?? undefined,
      failed,
    });
    return {
      ...facts,
      head_hash: commit,
      state: verdict.state,
      expected_deployment_hash: expected,
      ...(verdict.error === undefined ? {} : { error: verdict.error }),
    };
  }

  /** A commit whose deployment is not known yet: its resolution runs (or waits its turn). */
  async #pendingReport(commit: string | undefined): Promise<StatusReport> {
    return {
      ...(await this.#hostFacts()),
      head_hash: commit ?? null,
      state: 'pending',
      expected_deployment_hash: null,
    };
  }

  /** What runs and the last reconcile: the part of every report that needs no commit. */
  async #hostFacts() {
    const running = await this.running().catch(() => undefined);
    return {
      running_deployment_hash: running?.deploymentHash ?? null,
      running_git_revision: running?.gitRevision ?? null,
      reconcile: this.reconcileReport(),
    };
  }

  /** The per-client limit on new work: RATE_LIMITED with Retry-After when the client's bucket is empty. */
  #admit(client: string | undefined): Admit {
    let admitted = false; // one request takes one token, whether it costs a lookup, a resolution or both
    return () => {
      if (client === undefined || admitted) return;
      this.#takeToken(client, 'commits not resolved yet were asked for from');
      admitted = true;
    };
  }

  /** Takes one of `client`'s tokens, or throws RATE_LIMITED naming `what` the client did too often. */
  #takeToken(client: string | undefined, what: string): void {
    if (client === undefined) return;
    const waitSeconds = this.#clients.take(client);
    if (waitSeconds > 0) {
      throw new DaemonError('RATE_LIMITED', `too many ${what} ${client}; ask again in ${waitSeconds} s`, {
        retryAfterSeconds: waitSeconds,
      });
    }
  }

  /**
   * The durable history, newest first, at most `limit` entries; empty when the backend keeps none.
   * Every read goes to disk (nothing to answer from a cache), so each takes one of the client's
   * tokens: the same per-client limit as new commits on /status.
   */
  async history(limit: number, options: StatusOptions = {}): Promise<readonly HistoryEntry[]> {
    this.#takeToken(options.client, 'history requests came from');
    return (await this.#backend.history?.(limit)) ?? [];
  }

  /** The forensics of one history entry; undefined for an unknown id or an entry without any. */
  async historyLogs(id: string, options: StatusOptions = {}): Promise<HistoryLogs | undefined> {
    this.#takeToken(options.client, 'history requests came from');
    return this.#backend.historyLogs?.(id);
  }

  /** Deployment hashes whose last attempt failed, from the quarantine, read at most once per `runningTtlMs`. */
  #failures(): Promise<ReadonlyMap<string, string>> {
    const now = this.#now();
    if (!this.#failuresRead || now - this.#failuresRead.at >= this.#runningTtlMs) {
      const value = this.#backend
        .failedDeployments()
        .then((list) => new Map(list.map((f) => [f.deploymentHash, this.#logger.redact(f.reason)] as const)));
      value.catch(() => {
        this.#failuresRead = undefined;
      });
      this.#failuresRead = { at: now, value: value.catch(() => new Map<string, string>()) };
    }
    return this.#failuresRead.value;
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
            this.#observe(() => this.#observer.reconcileApplying?.(record, target));
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
    if ('jobs' in outcome) record.jobs = outcome.jobs;
    // What runs and what failed changed on disk (the reconciler keeps the quarantine): read them again.
    this.#runningRead = undefined;
    this.#failuresRead = undefined;
    switch (outcome.kind) {
      case 'converged':
        record.targetDeploymentHash = outcome.deploymentHash;
        this.#resolver.remember(outcome.gitRevision, outcome.deploymentHash);
        this.#lastSuccessAt = record.finishedAt;
        break;
      case 'rolledBack':
        record.targetDeploymentHash = outcome.failedDeploymentHash;
        this.#resolver.remember(outcome.gitRevision, outcome.failedDeploymentHash);
        break;
      case 'quarantined':
        record.targetDeploymentHash = outcome.deploymentHash;
        this.#resolver.remember(outcome.gitRevision, outcome.deploymentHash);
        break;
      case 'rollbackFailed':
        if (outcome.failedDeploymentHash) record.targetDeploymentHash = outcome.failedDeploymentHash;
        break;
      case 'repairFailed':
        // The running deployment could not be repaired; the quarantined one is what the run was about.
        record.targetDeploymentHash = outcome.quarantinedDeploymentHash;
        break;
      case 'failed':
      case 'planned':
        break;
    }
    this.#last = record;
    this.#observe(() => this.#observer.reconcileFinished?.(record, outcome));
  }

  /** An observer's throw is a bug in a report, never a reason to fail the reconcile. */
  #observe(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#logger.log('error', 'an observer of the reconcile failed', { reason: this.#reason(error) });
    }
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
      jobs: (record.jobs ?? []).map((run) => ({
        job: run.job,
        when: run.when,
        outcome: run.outcome,
        exit_code: run.exitCode ?? null,
        duration_ms: run.durationMs,
      })),
    };
    this.#report = { key, value };
    return value;
  }
}
