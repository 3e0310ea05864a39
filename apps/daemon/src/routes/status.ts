import { z } from 'zod';
import { commitSha, errorBody, statusReport } from '../schemas.js';
import { renderStatusPage } from '../status-page.js';
import type { ZodApp } from '../zod-provider.js';
import { type RouteDeps, statusAnswer, wantsHtml } from './deps.js';

/**
 * GET /status[?head_hash=<sha>]: JSON, or a page with `Accept: text/html`. Answers within a second:
 * a commit not resolved yet is `pending` (Retry-After; the page refreshes itself).
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
        return reply.type('text/html; charset=utf-8').send(renderStatusPage(report));
      }
      return reply.send(report);
    },
  );
}
