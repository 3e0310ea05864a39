import type { ZodApp } from '../zod-provider.js';
import type { RouteDeps } from './deps.js';

/** GET /metrics: Prometheus text exposition format 0.0.4. */
export async function metricsRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  const { registry } = deps.metrics;
  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
