import { z } from 'zod';
import { DaemonError } from '../errors.js';
import { commitSha, errorBody, statusReport } from '../schemas.js';
import type { ZodApp } from '../zod-provider.js';
import { type RouteDeps, statusAnswer } from './deps.js';
import { classifyHook } from './gitlab-hook.js';
import { requireToken } from './token-auth.js';

/** The fields of a GitLab push hook the daemon reads; everything else is ignored. */
const pushHook = z
  .looseObject({
    checkout_sha: z.string().nullish(),
    after: z.string().nullish(),
  })
  .nullish();

/** A webhook that queued a reconcile. */
const hookQueued = z.object({ queued: z.string(), checkout_sha: z.string().nullable() });

/**
 * POST /trigger, after the token check (401), in two forms:
 * - a GitLab webhook (`X-Gitlab-Event` present): answered at once, without calling GitLab: 202 when
 *   it is a push to the default branch (the reconcile is queued in the background), else
 *   200 {"ignored": why}. A hook that fails repeatedly is disabled by GitLab, so it never gets a 4xx.
 * - `?head_hash=<sha>` from CI (or a push body without the header): checks that the commit is known
 *   (404) and merged into the default branch (422), queues a reconcile to the newest default-branch
 *   commit, and answers 202 with the state of head_hash (`pending` while it is being resolved).
 */
export async function triggerRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  const { core, triggerToken } = deps;
  app.post(
    '/trigger',
    {
      schema: {
        querystring: z.object({ head_hash: commitSha.optional() }),
        // Read by hand: a webhook is acknowledged whatever its body looks like.
        body: z.unknown(),
        response: {
          200: z.object({ ignored: z.string() }),
          202: z.union([statusReport, hookQueued]),
          400: errorBody,
          401: errorBody,
          404: statusReport,
          422: errorBody,
          503: errorBody,
        },
      },
      // The token is checked before the body is even read.
      onRequest: async (request) => {
        if (triggerToken) requireToken(request.headers, triggerToken, { gitlabHeader: true });
      },
    },
    async (request, reply) => {
      const event = request.headers['x-gitlab-event'];
      if (typeof event === 'string' && request.query.head_hash === undefined) {
        const verdict = classifyHook(event, request.body);
        if (verdict.kind === 'ignored') {
          deps.logger.log('info', 'webhook ignored', { event: event.slice(0, 64), why: verdict.why });
          return reply.code(200).send({ ignored: verdict.why });
        }
        // Resolution and the reconcile happen in the background; GitLab's timeout never matters.
        void core
          .requestReconcile('trigger')
          .then((decision) => deps.logger.log('info', 'webhook accepted', { ref: verdict.ref, decision }));
        return reply.code(202).send({
          queued: 'a reconcile to the newest commit of the default branch',
          checkout_sha: verdict.sha ?? null,
        });
      }
      const sha = request.query.head_hash ?? hookSha(parseBody(request.body));
      let full: string;
      try {
        full = await core.deployableCommit(sha);
      } catch (error) {
        if (error instanceof DaemonError && error.code === 'UNKNOWN_COMMIT') {
          return reply.code(404).send({
            head_hash: sha,
            state: 'unknown',
            expected_deployment_hash: null,
            running_deployment_hash: null,
            running_git_revision: null,
            reconcile: core.reconcileReport(),
            error: error.message,
          });
        }
        throw error;
      }
      const decision = await core.requestReconcile('trigger');
      deps.logger.log('info', 'trigger accepted', { head_hash: full, decision });
      // The reconcile is queued whatever the resolution bound says: the answer may then read pending.
      return reply.code(202).send((await statusAnswer(core, full)).report);
    },
  );
}

function parseBody(body: unknown): z.infer<typeof pushHook> {
  const parsed = pushHook.safeParse(body);
  if (!parsed.success) throw new DaemonError('BAD_REQUEST', 'body: must be a GitLab push-hook object');
  return parsed.data;
}

function hookSha(body: z.infer<typeof pushHook>): string {
  const sha = body?.checkout_sha ?? body?.after;
  if (sha === undefined || sha === null) {
    throw new DaemonError(
      'BAD_REQUEST',
      'head_hash is missing: pass ?head_hash=<sha> or a GitLab push-hook body with checkout_sha',
    );
  }
  const parsed = commitSha.safeParse(sha);
  if (!parsed.success)
    throw new DaemonError('BAD_REQUEST', 'body.checkout_sha: must be a commit sha of 7 to 40 hex digits');
  return parsed.data;
}
