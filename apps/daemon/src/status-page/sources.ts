import type { DaemonConfig } from '@stow/manifest';
import type { HistoryEntry } from '@stow/reconciler';
import type { DaemonBackend, DeploymentContainer } from '../backend.js';
import type { DaemonLogger } from '../logger.js';
import { type CommitLinker, commitLinker } from './commit-link.js';
import { errorCode, type Fetched, freshRead } from './fresh-read.js';
import { HISTORY_READ } from './history-sections.js';

/** What the status page reads besides the status report, each bounded in time and cached. */
export interface StatusPageSources {
  containers(): Promise<Fetched<readonly DeploymentContainer[]>>;
  /** The newest HISTORY_READ history entries (the timeline shows fewer). */
  history(): Promise<Fetched<readonly HistoryEntry[]>>;
  readonly commitLink: CommitLinker;
  /** How long a page waits for the engine (the page says so when it gave up). */
  readonly engineTimeoutMs: number;
  now(): number;
}

export interface StatusPageSourcesOptions {
  readonly backend: DaemonBackend;
  /** daemon.yaml's source: GitLab commit links when it is GitLab. */
  readonly source?: DaemonConfig['source'];
  readonly logger?: DaemonLogger;
  /** How long one engine answer serves every page (default 5 s, the metrics' own cache). */
  readonly containersTtlMs?: number;
  /** How long one history read serves every page (default 2 s: a reconcile's entry shows soon). */
  readonly historyTtlMs?: number;
  /** How long a page waits for the engine or the history (default 2 s). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export const DEFAULT_CONTAINERS_TTL_MS = 5_000;
export const DEFAULT_HISTORY_TTL_MS = 2_000;
export const DEFAULT_PAGE_TIMEOUT_MS = 2_000;

/**
 * The page's sources over the daemon port: 10,000 page loads make one engine list (and one inspect
 * per container of the deployment) per `containersTtlMs`, and an engine that is down or hangs
 * costs a page at most `timeoutMs`.
 */
export function statusPageSources(options: StatusPageSourcesOptions): StatusPageSources {
  const { backend, logger } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const failed = (what: string) => (error: unknown) =>
    logger?.log('warn', `status page: ${what}`, {
      code: errorCode(error),
      reason: error instanceof Error ? error.message : String(error),
    });
  const absent = () => Promise.resolve<Fetched<never>>({ kind: 'absent' });
  const listContainers = backend.containers?.bind(backend);
  const readHistory = backend.history?.bind(backend);
  return {
    containers: listContainers
      ? freshRead(listContainers, {
          ttlMs: options.containersTtlMs ?? DEFAULT_CONTAINERS_TTL_MS,
          timeoutMs,
          now,
          onFailure: failed('the Docker engine did not list the containers'),
        })
      : absent,
    history: readHistory
      ? freshRead(() => readHistory(HISTORY_READ), {
          ttlMs: options.historyTtlMs ?? DEFAULT_HISTORY_TTL_MS,
          timeoutMs,
          now,
          onFailure: failed('the history cannot be read'),
        })
      : absent,
    commitLink: commitLinker(options.source),
    engineTimeoutMs: timeoutMs,
    now,
  };
}
