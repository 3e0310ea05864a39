import { z } from 'zod';
import type { ZodApp } from '../zod-provider.js';
import type { RouteDeps } from './deps.js';

/** GET /healthz: the process answers (liveness); no call to Docker or the repository. */
export async function healthzRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  const started = Date.now();
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: z.object({ status: z.literal('ok'), uptime_seconds: z.number(), queue_depth: z.number() }),
        },
      },
    },
    async () => ({
      status: 'ok' as const,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
      queue_depth: deps.core.queueDepth,
    }),
  );
}
