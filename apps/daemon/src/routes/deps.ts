import type { Secret } from '@stow/manifest';
import { type DaemonCore, PENDING_RETRY_AFTER_SECONDS, type StatusReport } from '../daemon-core.js';
import { DaemonError } from '../errors.js';
import type { DaemonLogger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { StatusPageSources } from '../status-page/sources.js';

/** What every route plugin is registered with. */
export interface RouteDeps {
  readonly core: DaemonCore;
  readonly metrics: DaemonMetrics;
  readonly logger: DaemonLogger;
  /** When set, POST /trigger requires it (Authorization: Bearer or X-Gitlab-Token). */
  readonly triggerToken?: Secret | undefined;
  /** What the status page shows besides the status: the engine's containers, the history, commit links. */
  readonly statusPage?: StatusPageSources | undefined;
}

export interface StatusAnswer {
  readonly statusCode: 200 | 404 | 503;
  readonly report: StatusReport;
  /** The Retry-After header: set while the answer is `pending`. */
  readonly retryAfterSeconds?: number;
}

/**
 * The status of a commit for `client`: the `unknown` report (404) when the repository has no such
 * commit; `pending` with Retry-After while it is being resolved, and with 503 when resolution is at
 * its bound (nothing was started for this request). RATE_LIMITED (429) is thrown.
 */
export async function statusAnswer(
  core: DaemonCore,
  sha: string | undefined,
  client?: string,
): Promise<StatusAnswer> {
  try {
    const report = await core.status(sha, client === undefined ? {} : { client });
    return report.state === 'pending'
      ? { statusCode: 200, report, retryAfterSeconds: PENDING_RETRY_AFTER_SECONDS }
      : { statusCode: 200, report };
  } catch (error) {
    if (!(error instanceof DaemonError)) throw error;
    const unknown = error.code === 'UNKNOWN_COMMIT' && sha !== undefined;
    if (!unknown && error.code !== 'BUSY') throw error;
    const running = await core.running().catch(() => undefined);
    const report: StatusReport = {
      head_hash: sha ?? null,
      state: unknown ? 'unknown' : 'pending',
      expected_deployment_hash: null,
      running_deployment_hash: running?.deploymentHash ?? null,
      running_git_revision: running?.gitRevision ?? null,
      reconcile: core.reconcileReport(),
      error: error.message,
    };
    return unknown
      ? { statusCode: 404, report }
      : {
          statusCode: 503,
          report,
          retryAfterSeconds: error.retryAfterSeconds ?? PENDING_RETRY_AFTER_SECONDS,
        };
  }
}

/** Whether the client asked for a page rather than JSON (a browser following the badge link). */
export function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}
