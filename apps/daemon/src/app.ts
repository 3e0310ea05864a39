import fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import { DaemonError } from './errors.js';
import { badgeRoute } from './routes/badge.js';
import type { RouteDeps } from './routes/deps.js';
import { healthzRoute } from './routes/healthz.js';
import { historyRoute } from './routes/history.js';
import { metricsRoute } from './routes/metrics.js';
import { statusRoute } from './routes/status.js';
import { triggerRoute } from './routes/trigger.js';
import { securityHeaders } from './security-headers.js';
import { jsonSerializerCompiler, type ZodApp, zodValidatorCompiler } from './zod-provider.js';

export type AppOptions = RouteDeps;

/** Answers of 500 and above carry no details, only the code and a generic line. */
const GENERIC: Record<number, string> = {
  503: 'the deployment repository cannot be reached; see the daemon log',
};

/**
 * The daemon's HTTP API as a Fastify plugin: zod-validated routes, an error handler that logs every
 * failure but returns details only below 500, and one log line per request that went wrong.
 */
export async function daemonApp(app: ZodApp, deps: AppOptions): Promise<void> {
  const { logger } = deps;
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
  securityHeaders(app);

  app.setErrorHandler((error: FastifyError | DaemonError, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const code = error instanceof DaemonError ? error.code : (error.code ?? 'INTERNAL');
    logger.log(statusCode >= 500 ? 'error' : 'warn', 'request failed', {
      method: request.method,
      path: request.routeOptions.url ?? request.url.split('?')[0],
      status: statusCode,
      code,
      reason: error.message,
      ...(error.cause instanceof Error ? { cause: error.cause.message } : {}),
    });
    const message =
      statusCode < 500 ? error.message : (GENERIC[statusCode] ?? 'internal error; see the daemon log');
    if (statusCode === 401) reply.header('www-authenticate', 'Bearer realm="stow"');
    if (error instanceof DaemonError && error.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.code(statusCode).send({ error: logger.redact(message), code });
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'NOT_FOUND' });
  });

  await triggerRoute(app, deps);
  await statusRoute(app, deps);
  await badgeRoute(app, deps);
  await historyRoute(app, deps);
  await healthzRoute(app, deps);
  await metricsRoute(app, deps);
}

/** A Fastify instance with the daemon's API registered (plain HTTP: tests use `inject`). */
export async function buildApp(deps: AppOptions, options: FastifyServerOptions = {}): Promise<ZodApp> {
  const app = fastify({ logger: false, ...options }).withTypeProvider() as unknown as ZodApp;
  await app.register(async (scope) => daemonApp(scope as ZodApp, deps));
  await app.ready();
  return app;
}
