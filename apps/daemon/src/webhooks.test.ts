import {
  branchDeletionHook,
  mergeRequestHook,
  pushHook,
  tagPushHook,
  type WebhookRequest,
} from '@stow/fake-gitlab';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

const TOKEN = 'hook-secret-0123456789';
const OLD = sha('1');
const NEW = sha('2');
const project = {
  id: 1,
  pathWithNamespace: 'ops/deployments',
  defaultBranch: 'main',
  webUrl: 'https://gitlab.example.com/ops/deployments',
};

function repository() {
  return new FakeBackend({ [OLD]: { deploymentHash: hash('a') }, [NEW]: { deploymentHash: hash('b') } }, NEW);
}

const deliver = (
  app: Awaited<ReturnType<typeof buildTestApp>>['app'],
  hook: WebhookRequest,
  token: string | null = TOKEN,
) =>
  app.inject({
    method: 'POST',
    url: '/trigger',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': hook.event,
      ...(token === null ? {} : { 'x-gitlab-token': token }),
    },
    payload: JSON.stringify(hook.body),
  });

describe('POST /trigger from a GitLab webhook', () => {
  it('a push to the default branch: 202 at once, without calling GitLab; the reconcile runs in the background', async () => {
    const backend = repository();
    // GitLab and the resolution are stuck: the answer must not wait for either.
    let releaseHead: () => void = () => {};
    const gitlabAnswers = new Promise<void>((resolve) => {
      releaseHead = resolve;
    });
    const headOf = backend.defaultBranchHead.bind(backend);
    backend.defaultBranchHead = async () => {
      await gitlabAnswers;
      return headOf();
    };
    const release = backend.holdResolutions();
    const { app, core } = await buildTestApp(backend, { token: TOKEN });
    try {
      const answer = await deliver(app, pushHook(project, { branch: 'main', before: OLD, after: NEW }));
      expect(answer.statusCode).toBe(202);
      expect(answer.json()).toEqual({
        queued: 'a reconcile to the newest commit of the default branch',
        checkout_sha: NEW,
      });
      expect(backend.requests).toHaveLength(0);
      releaseHead();
      release();
      await core.idle();
      expect(backend.requests.map((r) => [r.trigger, r.revision])).toEqual([['trigger', NEW]]);
    } finally {
      await app.close();
    }
  });

  it('everything else is 200 {"ignored": why} and queues nothing: other branches, deletions, tags, MRs, pipelines, any event', async () => {
    const backend = repository();
    const { app, core } = await buildTestApp(backend, { token: TOKEN });
    try {
      const cases: Array<[WebhookRequest, RegExp]> = [
        [
          pushHook(project, { branch: 'suggest/web', after: NEW }),
          /push to suggest\/web, not to the default branch main/,
        ],
        [branchDeletionHook(project, { branch: 'main', before: NEW }), /branch deletion: refs\/heads\/main/],
        [branchDeletionHook(project, { branch: 'suggest/web', before: OLD }), /branch deletion/],
        [tagPushHook(project, { tag: 'v1.0', sha: NEW }), /tag push/],
        [
          mergeRequestHook(project, { iid: 4, sourceBranch: 'suggest/web', action: 'open', lastCommit: NEW }),
          /merge request/,
        ],
        [
          mergeRequestHook(project, {
            iid: 4,
            sourceBranch: 'suggest/web',
            action: 'merge',
            lastCommit: NEW,
          }),
          /merge request/,
        ],
        [{ event: 'Pipeline Hook', body: { object_kind: 'pipeline' } }, /pipeline event/],
        [{ event: 'Issue Hook', body: { object_kind: 'issue' } }, /"Issue Hook" event/],
        [{ event: 'Push Hook', body: { object_kind: 'push' } }, /push event without a ref/],
        [{ event: 'Push Hook', body: { ref: 'refs/tags/v2', after: NEW } }, /not to a branch/],
      ];
      for (const [hook, why] of cases) {
        const answer = await deliver(app, hook);
        expect(answer.statusCode, hook.event).toBe(200);
        expect(answer.json().ignored).toMatch(why);
      }
      // A body that is not even an object is acknowledged too: GitLab would disable a hook that fails.
      const odd = await app.inject({
        method: 'POST',
        url: '/trigger',
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Push Hook',
          'x-gitlab-token': TOKEN,
        },
        payload: '[1, 2]',
      });
      expect(odd.statusCode).toBe(200);
      await core.idle();
      expect(backend.requests).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  it('a wrong or missing token is still 401, before the event is looked at', async () => {
    const backend = repository();
    const { app, core } = await buildTestApp(backend, { token: TOKEN });
    try {
      const hook = pushHook(project, { branch: 'main', after: NEW });
      expect((await deliver(app, hook, 'wrong-token-0000000000')).statusCode).toBe(401);
      expect((await deliver(app, hook, null)).statusCode).toBe(401);
      await core.idle();
      expect(backend.requests).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  it('CI clients keep their contract: ?head_hash= answers 404 unknown and 422 unmerged even with X-Gitlab-Event', async () => {
    const backend = repository();
    const UNMERGED = sha('9');
    backend.commits.set(UNMERGED, { deploymentHash: hash('9'), onDefaultBranch: false });
    const { app } = await buildTestApp(backend, { token: TOKEN });
    try {
      const post = (head: string) =>
        app.inject({
          method: 'POST',
          url: `/trigger?head_hash=${head}`,
          headers: { authorization: `Bearer ${TOKEN}`, 'x-gitlab-event': 'Pipeline Hook' },
        });
      expect((await post(sha('7'))).statusCode).toBe(404);
      expect((await post(UNMERGED)).statusCode).toBe(422);
      expect((await post(NEW)).statusCode).toBe(202);
    } finally {
      await app.close();
    }
  });
});
