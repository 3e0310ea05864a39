import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DaemonError } from '../errors.js';
import { commitSha, errorBody, statusReport } from '../schemas.js';
import type { ZodApp } from '../zod-provider.js';
import type { RouteDeps } from './deps.js';

/** The fields of a GitLab push hook the daemon reads; everything else is ignored. */
const pushHook = z
  .looseObject({
    checkout_sha: z.string().nullish(),
    after: z.string().nullish(),
  })
  .nullish();

/**
 * POST /trigger?head_hash=<sha> (or a GitLab push-hook body): checks the token, that the commit is
 * known (404) and merged into the default branch (422), queues a reconcile to the newest default-branch
 * commit, and answers 202 with the state of head_hash.
 */
export async function triggerRoute(app: ZodApp, deps: RouteDeps): Promise<void> {
  const { core, triggerToken } = deps;
  app.post(
    '/trigger',
    {
      schema: {
        querystring: z.object({ head_hash: commitSha.optional() }),
        body: pushHook,
        response: {
          202: statusReport,
          400: errorBody,
          401: errorBody,
          404: statusReport,
          422: errorBody,
          503: errorBody,
        },
      },
      // The token is checked before the body is even read.
      onRequest: async (request) => {
        if (triggerToken && !tokenMatches(presentedToken(request.headers), triggerToken.reveal())) {
          throw new DaemonError(
            'UNAUTHORIZED',
            'missing or wrong trigger token (Authorization: Bearer or X-Gitlab-Token)',
          );
        }
      },
    },
    async (request, reply) => {
      const sha = request.query.head_hash ?? hookSha(request.body);
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
      return reply.code(202).send(await core.status(full));
    },
  );
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

function presentedToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const gitlab = headers['x-gitlab-token'];
  if (typeof gitlab === 'string') return gitlab;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  return undefined;
}

/** Constant time in the token's contents and length: both sides are hashed first. */
function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
