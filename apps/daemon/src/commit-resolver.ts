import type { DaemonBackend } from './backend.js';
import { type BoundedWork, boundedWork } from './bounded-work.js';
import { DaemonError } from './errors.js';
import { memoCache } from './memo-cache.js';

export interface CommitResolverOptions {
  readonly backend: Pick<DaemonBackend, 'resolveCommit' | 'resolveDeployment'>;
  readonly now?: () => number;
  /** Resolutions (download, decrypt, hash) running at once (default 2). */
  readonly concurrency?: number;
  /** Resolutions waiting for a slot (default 8); beyond that, BUSY. */
  readonly queueLength?: number;
  /** Commits whose deployment hash is remembered (default 1000). */
  readonly cacheEntries?: number;
  /** How long a failed resolution is remembered before it is tried again (default 60 s). */
  readonly failureTtlMs?: number;
  /** How long a commit the repository does not have is remembered as unknown (default 30 s). */
  readonly unknownTtlMs?: number;
  /** Retry-After of a BUSY answer (default 5 s). */
  readonly busyRetryAfterSeconds?: number;
}

/**
 * Called before the daemon starts new work for a request (a lookup or a resolution nothing has
 * answered yet); throws (RATE_LIMITED) to refuse it. Answers from the cache never call it.
 */
export type Admit = () => void;

/** How long a failure is remembered when it is only GitLab asking to wait (the archive limit). */
const RATE_LIMITED_TTL_MS = 5_000;

/**
 * Commit -> deployment hash, bounded: every cache is keyed by the full 40-hex sha (a 7-character
 * prefix is looked up first, cheaply, so the prefix and the full sha are one entry); at most
 * `concurrency` resolutions run and `queueLength` wait, more is BUSY; unknown commits are
 * remembered briefly, so a flood of made-up shas costs one lookup each per `unknownTtlMs`.
 */
export class CommitResolver {
  readonly #backend: CommitResolverOptions['backend'];
  readonly #work: BoundedWork;
  readonly #busy: () => DaemonError;
  readonly #commits;
  readonly #deployments;

  constructor(options: CommitResolverOptions) {
    this.#backend = options.backend;
    const now = options.now ?? Date.now;
    const unknownTtlMs = options.unknownTtlMs ?? 30_000;
    const failureTtlMs = options.failureTtlMs ?? 60_000;
    const busyRetryAfterSeconds = options.busyRetryAfterSeconds ?? 5;
    this.#busy = () =>
      new DaemonError('BUSY', 'the daemon is resolving as many commits as it allows; ask again shortly', {
        retryAfterSeconds: busyRetryAfterSeconds,
      });
    this.#work = boundedWork({
      concurrency: options.concurrency ?? 2,
      queueLength: options.queueLength ?? 8,
      onFull: this.#busy,
    });
    this.#commits = memoCache<string>({
      maxEntries: 10_000,
      // An unknown commit is remembered for unknownTtlMs; a source that cannot be reached for 5 s.
      failureTtlMs: (error) =>
        error instanceof DaemonError && error.code === 'UNKNOWN_COMMIT' ? unknownTtlMs : 5_000,
      now,
    });
    this.#deployments = memoCache<string>({
      maxEntries: options.cacheEntries ?? 1_000,
      failureTtlMs: (error) => (isGitlabRateLimited(error) ? RATE_LIMITED_TTL_MS : failureTtlMs),
      now,
    });
  }

  /** Resolutions running and waiting, for tests and metrics. */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.#work.running, waiting: this.#work.waiting };
  }

  /** The full sha of a commit given by 7 to 40 hex digits; UNKNOWN_COMMIT when the repository has none. */
  fullSha(sha: string, admit?: Admit): Promise<string> {
    if (!this.#commits.has(sha)) admit?.();
    return this.#commits.get(sha, async () => {
      const full = await this.#backend.resolveCommit(sha);
      if (full === undefined)
        throw new DaemonError('UNKNOWN_COMMIT', `head_hash ${sha} is not a known commit`);
      if (full !== sha) this.#commits.set(full, full);
      return full;
    });
  }

  /** The full sha when it is already known, without asking anyone. */
  knownFullSha(sha: string): string | undefined {
    return this.#commits.peek(sha);
  }

  /**
   * The deployment hash of a commit (full sha): from the cache, from the resolution in flight, or
   * from a new one when there is room (BUSY otherwise; a refused request starts nothing).
   */
  deploymentHash(full: string, admit?: Admit): Promise<string> {
    if (!this.#deployments.has(full)) {
      if (!this.#work.hasRoom()) return Promise.reject(this.#busy());
      admit?.();
    }
    return this.#deployments.get(full, () =>
      this.#work.run(async () => (await this.#backend.resolveDeployment(full)).deploymentHash),
    );
  }

  /** The deployment hash when it is already known, without resolving anything. */
  knownDeploymentHash(full: string): string | undefined {
    return this.#deployments.peek(full);
  }

  /** What a reconcile learnt: the deployment a commit describes (commits are immutable). */
  remember(full: string, deploymentHash: string): void {
    if (!/^[0-9a-f]{40}$/.test(full)) return;
    this.#commits.set(full, full);
    this.#deployments.set(full, deploymentHash);
  }
}

/**
 * GitLab refused a download for its rate limit (429), however deeply wrapped: the commit is waiting
 * for its turn, not broken.
 */
export function isGitlabRateLimited(error: unknown): boolean {
  if (error instanceof DaemonError) return false; // the daemon's own limit on its clients
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 6; depth += 1) {
    if ((current as { code?: unknown }).code === 'RATE_LIMITED') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
