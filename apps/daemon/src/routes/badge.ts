import { z } from 'zod';
import { renderBadge } from '../badge.js';
import { DaemonError } from '../errors.js';
import { commitSha, errorBody } from '../schemas.js';
import type { ConvergenceState } from '../status-of.js';
import type { ZodApp } from '../zod-provider.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /gitlab.svg?git_hash=<sha>: the badge `stow | <state>`. An image for people: a commit the
 * repository does not know, or a source that cannot be reached, still answers 200 with a lightgrey
 * `unknown` badge (GitLab's image proxy drops non-2xx answers). Never cached, revalidated by ETag.
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
      try {
        state = (await deps.core.status(request.query.git_hash)).state;
      } catch (error) {
        if (!(error instanceof DaemonError)) throw error;
        deps.logger.log('warn', 'badge: state unknown', {
          git_hash: request.query.git_hash,
          reason: error.message,
        });
        state = 'unknown';
      }
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
