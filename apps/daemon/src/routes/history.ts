import { HISTORY_MAX_ENTRIES, type HistoryEntry, type HistoryLogs } from '@stow/reconciler';
import { z } from 'zod';
import { errorBody } from '../schemas.js';
import type { ZodApp } from '../zod-provider.js';
import type { RouteDeps } from './deps.js';
import { requireToken } from './token-auth.js';

const DEFAULT_HISTORY_LIMIT = 50;

const LIMIT_RULE = `must be an integer from 1 to ${HISTORY_MAX_ENTRIES}`;

/** `?limit=N`: given at most once (a repeated parameter arrives as an array), 1 to 1000. */
const historyLimit = z
  .string({ error: (issue) => (Array.isArray(issue.input) ? 'must be given once' : LIMIT_RULE) })
  .regex(/^[0-9]{1,4}$/, LIMIT_RULE)
  .transform(Number)
  .refine((limit) => limit >= 1 && limit <= HISTORY_MAX_ENTRIES, LIMIT_RULE);

/** A history id is a reconcile id: 12 lowercase hex digits (the log's `reconcile_id`). */
const historyId = z.string().regex(/^[0-9a-f]{12}$/, 'must be a history id of 12 lowercase hex digits');

// The shapes are the reconciler's (HistoryEntry, HistoryLogs); the serializer is JSON.stringify, so
// these only type `reply.send`. What is sent is built field by field below.
const historyBody = z.object({ entries: z.array(z.custom<HistoryEntry>()) });
const logsBody = z.custom<HistoryLogs>();

/**
 * GET /history?limit=N: the durable history, newest first; public like /status, and for the same
 * reason: it carries states, commits and redacted reasons, never a log line (docs/security.md).
 * GET /history/<id>/logs: the captured forensics of a failed reconcile, only with
 * `Authorization: Bearer <triggerToken>`. Without a triggerToken the route does not exist: every
 * request gets the same 404 as any unknown path, so such a daemon never serves logs nor shows it could.
 */
export async function historyRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  const { core, logger, triggerToken } = deps;
  app.get(
    '/history',
    {
      schema: {
        querystring: z.object({ limit: historyLimit.optional() }),
        response: { 200: historyBody, 400: errorBody, 429: errorBody },
      },
    },
    async (request, reply) => {
      const entries = await core.history(request.query.limit ?? DEFAULT_HISTORY_LIMIT, {
        client: request.ip,
      });
      reply.header('cache-control', 'no-cache, no-store, must-revalidate');
      return reply.send({ entries: entries.map((entry) => wireEntry(entry, logger.redact)) });
    },
  );

  if (!triggerToken) return;
  app.get(
    '/history/:id/logs',
    {
      schema: {
        params: z.object({ id: historyId }),
        response: { 200: logsBody, 400: errorBody, 401: errorBody, 404: errorBody, 429: errorBody },
      },
      // The token is checked before anything else: without it, not even the id is validated.
      onRequest: async (request) => requireToken(request.headers, triggerToken, { gitlabHeader: false }),
    },
    async (request, reply) => {
      // Forensics are log lines: no cache anywhere keeps them.
      reply.header('cache-control', 'no-store');
      const { id } = request.params;
      const logs = await core.historyLogs(id, { client: request.ip });
      if (!logs) {
        return reply
          .code(404)
          .send({ error: `history entry ${id} is unknown or has no captured logs`, code: 'NOT_FOUND' });
      }
      return reply.send(wireLogs(logs, logger.redact));
    },
  );
}

/**
 * Exactly the wire shape, whatever else the store keeps on an entry. The reason already had every
 * decrypted value replaced by the reconciler; the daemon's redaction (its tokens) runs again.
 */
function wireEntry(entry: HistoryEntry, redact: (text: string) => string): HistoryEntry {
  return {
    id: entry.id,
    trigger: entry.trigger,
    started_at: entry.started_at,
    finished_at: entry.finished_at,
    outcome: entry.outcome,
    count: entry.count,
    git_revision: entry.git_revision,
    deployment_hash: entry.deployment_hash,
    step: entry.step,
    reason: entry.reason === null ? null : redact(entry.reason),
    actions: entry.actions.map(({ container, action, reason }) => ({
      container,
      action,
      reason: redact(reason),
    })),
    jobs: entry.jobs.map(({ job, when, outcome, exit_code, duration_ms }) => ({
      job,
      when,
      outcome,
      exit_code,
      duration_ms,
    })),
    failed_containers: entry.failed_containers.map(({ name, exit_code, oom_killed, health, has_logs }) => ({
      name,
      exit_code,
      oom_killed,
      health,
      has_logs,
    })),
  };
}

function wireLogs(logs: HistoryLogs, redact: (text: string) => string): HistoryLogs {
  return {
    id: logs.id,
    containers: logs.containers.map((c) => ({
      name: c.name,
      exit_code: c.exit_code,
      oom_killed: c.oom_killed,
      log_lines: c.log_lines.map(redact),
      health_outputs: c.health_outputs.map(redact),
    })),
  };
}
