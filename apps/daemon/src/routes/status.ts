import { z } from 'zod';
import { commitSha, errorBody, statusReport } from '../schemas.js';
import { BARE_VIEW, loadStatusPageView, renderStatusPage } from '../status-page.js';
import type { ZodApp } from '../zod-provider.js';
import { type RouteDeps, statusAnswer, wantsHtml } from './deps.js';

/**
 * GET /status[?head_hash=<sha>]: JSON, or a page with `Accept: text/html` (docs/status-page.md).
 * Answers within a second: a commit not resolved yet is `pending` (Retry-After; the page refreshes
 * itself); the page waits at most its sources' time bound for the engine and the history.
 */
export async function statusRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/status',
    {
      schema: {
        querystring: z.object({ head_hash: commitSha.optional() }),
        // A page (text/html) is sent as a string and bypasses the JSON serializer.
        response: {
          200: z.union([statusReport, z.string()]),
          400: errorBody,
          404: z.union([statusReport, z.string()]),
          429: errorBody,
          503: z.union([statusReport, z.string()]),
        },
      },
    },
    async (request, reply) => {
      const { statusCode, report, retryAfterSeconds } = await statusAnswer(
        deps.core,
        request.query.head_hash,
        request.ip,
      );
      reply
        .code(statusCode)
        .header('cache-control', 'no-cache, no-store, must-revalidate')
        .header('vary', 'Accept');
      if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
      if (wantsHtml(request.headers.accept)) {
        // The page adds the engine's containers and the history, each cached and bounded in time.
        const view = deps.statusPage ? await loadStatusPageView(deps.statusPage) : BARE_VIEW;
        return reply.type('text/html; charset=utf-8').send(renderStatusPage(report, view));
      }
      return reply.send(report);
    },
  );
}
