import type { Secret } from '@stow/manifest';
import type { DaemonCore, StatusReport } from '../daemon-core.js';
import { DaemonError } from '../errors.js';
import type { DaemonLogger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';

/** What every route plugin is registered with. */
export interface RouteDeps {
  readonly core: DaemonCore;
  readonly metrics: DaemonMetrics;
  readonly logger: DaemonLogger;
  /** When set, POST /trigger requires it (Authorization: Bearer or X-Gitlab-Token). */
  readonly triggerToken?: Secret | undefined;
}

/** The status of a commit, or the `unknown` report (404) when the repository has no such commit. */
export async function statusAnswer(
  core: DaemonCore,
  sha: string | undefined,
): Promise<{ statusCode: 200 | 404; report: StatusReport }> {
  try {
    return { statusCode: 200, report: await core.status(sha) };
  } catch (error) {
    if (!(error instanceof DaemonError) || error.code !== 'UNKNOWN_COMMIT' || sha === undefined) throw error;
    const running = await core.running().catch(() => undefined);
    return {
      statusCode: 404,
      report: {
        head_hash: sha,
        state: 'unknown',
        expected_deployment_hash: null,
        running_deployment_hash: running?.deploymentHash ?? null,
        running_git_revision: running?.gitRevision ?? null,
        reconcile: core.reconcileReport(),
        error: error.message,
      },
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
