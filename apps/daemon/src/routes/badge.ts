import { z } from 'zod';
import { renderBadge } from '../badge.js';
import { PENDING_RETRY_AFTER_SECONDS } from '../daemon-core.js';
import { DaemonError } from '../errors.js';
import { commitSha, errorBody } from '../schemas.js';
import type { ConvergenceState } from '../status-of.js';
import type { ZodApp } from '../zod-provider.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /gitlab.svg?git_hash=<sha>: the badge `stow | <state>`, within a second. An image for people:
 * a commit the repository does not know, or a source that cannot be reached, still answers 200 with
 * a lightgrey `unknown` badge (GitLab's image proxy drops non-2xx answers); a commit not resolved
 * yet, or refused by the resolution bound or the client's limit, is `pending` with Retry-After.
 * Never cached, revalidated by ETag.
 */
export async function badgeRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/gitlab.svg',
    {
      schema: {
        querystring: z.object({ git_hash: commitSha }),
        response: { 200: z.string(), 304: z.undefined(), 400: errorBody },
      },
    },
    async (request, reply) => {
      let state: ConvergenceState;
      let retryAfterSeconds: number | undefined;
      try {
        state = (await deps.core.status(request.query.git_hash, { client: request.ip })).state;
        if (state === 'pending') retryAfterSeconds = PENDING_RETRY_AFTER_SECONDS;
      } catch (error) {
        if (!(error instanceof DaemonError)) throw error;
        // A badge never errors: at the resolution bound or the client's limit, it says pending.
        const waiting = error.code === 'BUSY' || error.code === 'RATE_LIMITED';
        deps.logger.log('warn', `badge: state ${waiting ? 'pending' : 'unknown'}`, {
          git_hash: request.query.git_hash,
          reason: error.message,
        });
        state = waiting ? 'pending' : 'unknown';
        if (waiting) retryAfterSeconds = error.retryAfterSeconds ?? PENDING_RETRY_AFTER_SECONDS;
      }
      if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
      const badge = renderBadge(state);
      reply
        .header('cache-control', 'no-cache, no-store, must-revalidate')
        .header('pragma', 'no-cache')
        .header('expires', 'Thu, 01 Jan 1970 00:00:00 GMT')
        .header('etag', badge.etag)
        .header('x-stow-state', state);
      if (etagMatches(request.headers['if-none-match'], badge.etag)) return reply.code(304).send(undefined);
      return reply.type('image/svg+xml; charset=utf-8').send(badge.svg);
    },
  );
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
