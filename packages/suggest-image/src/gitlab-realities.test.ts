import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SuggestImageError } from './errors.js';
import { type SuggestGitlab, type SuggestImageOptions, suggestImage } from './suggest.js';
import {
  digestOf,
  type FakeRepo,
  fakeRepo,
  OLD_IMAGE,
  RUN_OPTIONS,
  STOW_YAML,
  writes,
} from './test-support/fake-repo.js';

// What a real GitLab does that a naive client misses: assignees dropped without an error, and
// commits refused when stow.yaml moved on the default branch after it was read.
const BRANCH = 'suggest/deploy-host/webapp';
const NEW_IMAGE = `registry.example.com/apps/webapp:20260429.1@${digestOf('b')}`;
const base: SuggestImageOptions = {
  ...RUN_OPTIONS,
  // The pipeline user (150) is not a member of the deployment repository.
  env: { GITLAB_USER_ID: '150' },
};

let repo: FakeRepo;
beforeEach(async () => {
  repo = await fakeRepo();
});
afterEach(async () => {
  await repo.close();
});

const run = (options: Partial<SuggestImageOptions> = {}, gitlab: SuggestGitlab = repo.client) =>
  suggestImage({ ...base, ...options }, { gitlab });
async function suggested(options: Partial<SuggestImageOptions> = {}, gitlab?: SuggestGitlab) {
  const result = await run(options, gitlab);
  if (result.kind !== 'suggested') throw new Error(`expected a suggestion, got ${result.kind}`);
  return result;
}
const writeLines = (from = 0) =>
  writes(repo.fake)
    .slice(from)
    .map((r) => `${r.method} ${r.path} ${r.status}`);
const DROPPED =
  'gitlab_user_id: GitLab did not assign ci.user (150): they cannot read ops/deployments (not a member?)';

describe('assignees GitLab drops silently', () => {
  it('the pipeline user is dropped: the next attempt is assigned, and the result says which stuck', async () => {
    const result = await suggested({ assign: 'gitlab_user_id,user:alice' });
    expect(result.assignment).toEqual({
      user: { id: 146, username: 'alice' },
      attempt: { index: 1, label: 'user:alice' },
      reasons: [DROPPED],
    });
    expect(repo.fake.mergeRequests[0]?.assigneeIds).toEqual([146]);
    expect(result.mergeRequest.action).toBe('created');
    const iid = result.mergeRequest.iid;
    expect(writeLines()).toEqual([
      'POST projects/ops%2Fdeployments/repository/commits 201',
      'POST projects/ops%2Fdeployments/merge_requests 201',
      `PUT projects/ops%2Fdeployments/merge_requests/${iid} 200`,
    ]);
  });

  it('a rerun with nothing to change writes nothing and reports the same attempt', async () => {
    const first = await suggested({ assign: 'gitlab_user_id,user:alice' });
    const before = writes(repo.fake).length;
    const again = await suggested({ assign: 'gitlab_user_id,user:alice' });
    expect(writes(repo.fake).length - before).toBe(0);
    expect(again.mergeRequest).toMatchObject({ iid: first.mergeRequest.iid, action: 'unchanged' });
    expect(again.commit).toEqual({ sha: first.commit.sha, moved: false });
    expect(again.assignment).toMatchObject({
      user: { id: 146, username: 'alice' },
      attempt: { index: 1, label: 'user:alice' },
    });
    expect(again.assignment.reasons).toEqual([
      'gitlab_user_id: ci.user (150) not asked again: the merge request keeps user:alice',
    ]);
  });

  it('every attempt dropped or unusable: nobody assigned, each reason given, the MR still opened', async () => {
    const result = await suggested({ assign: 'gitlab_user_id,user:bob,id:150' });
    expect(result.assignment.user).toBeNull();
    expect(result.assignment.attempt).toBeNull();
    expect(result.assignment.reasons).toEqual([
      DROPPED,
      'user:bob: no active user with that name (GitLab does not list blocked users)',
      'id:150: GitLab did not assign ci.user (150): they cannot read ops/deployments (not a member?)',
    ]);
    expect(repo.fake.mergeRequests[0]).toMatchObject({ state: 'opened', assigneeIds: [] });
  });

  it('once the pipeline user becomes a member, a new digest still keeps the assignee that stuck', async () => {
    await suggested({ assign: 'gitlab_user_id,user:alice' });
    repo.fake.updateUser('ci.user', { member: true });
    const next = await suggested({
      assign: 'gitlab_user_id,user:alice',
      image: 'registry.example.com/apps/webapp:20260430.0',
      digest: 'd'.repeat(64),
    });
    expect(next.mergeRequest.action).toBe('updated');
    expect(next.assignment.attempt).toEqual({ index: 1, label: 'user:alice' });
    expect(repo.fake.mergeRequests[0]?.assigneeIds).toEqual([146]);
  });

  it('an assignee from outside the list is replaced by the first one that sticks', async () => {
    const first = await suggested({ assign: 'user:stow-bot' });
    expect(repo.fake.mergeRequests[0]?.assigneeIds).toEqual([1]);
    const again = await suggested({ assign: 'id:150,user:alice' });
    expect(again.assignment.attempt).toEqual({ index: 1, label: 'user:alice' });
    expect(repo.fake.mergeRequests[0]?.assigneeIds).toEqual([146]);
    expect(again.mergeRequest).toMatchObject({ iid: first.mergeRequest.iid, action: 'updated' });
  });

  it('a failing assignment update is a reason, not a failure', async () => {
    repo.fake.injectFault({ method: 'PUT', path: /merge_requests\/\d+$/, status: 500, times: 5 });
    const result = await suggested({ assign: 'gitlab_user_id,user:alice' });
    expect(result.assignment.user).toBeNull();
    expect(result.assignment.reasons[0]).toBe(DROPPED);
    expect(result.assignment.reasons[1]).toMatch(/^user:alice: assigning alice \(146\) failed \(.*500/);
    expect(repo.fake.mergeRequests).toHaveLength(1);
  });
});

describe('stow.yaml changed on the default branch after it was read', () => {
  const WORKER_V4 = `registry.example.com/apps/worker:4@${digestOf('f')}`;
  /** A client that lets someone merge a change to stow.yaml right after suggest-image read it. */
  function racingClient(times: number): SuggestGitlab {
    let left = times;
    return {
      ...repo.client,
      async findOpenMergeRequest(project, branch) {
        if (left > 0) {
          left -= 1;
          await repo.fake.commitFiles('main', {
            'deploy-host/stow.yaml': currentStowYaml().replace(
              /worker:\d+@sha256:[0-9a-f]+/,
              `worker:${4 + left}@${digestOf('f')}`,
            ),
          });
        }
        return repo.client.findOpenMergeRequest(project, branch);
      },
    };
  }
  const currentStowYaml = () =>
    execFileSync('git', ['--git-dir', repo.fake.repo, 'show', 'main:deploy-host/stow.yaml'], {
      encoding: 'utf8',
    });

  it('GitLab answers 400; suggest-image reads again and retries once, keeping the other change', async () => {
    const result = await suggested({}, racingClient(1));
    const main = await repo.fake.branchHead('main');
    expect(result.commit.moved).toBe(true);
    const onBranch = execFileSync(
      'git',
      ['--git-dir', repo.fake.repo, 'show', `${BRANCH}:deploy-host/stow.yaml`],
      {
        encoding: 'utf8',
      },
    );
    expect(onBranch).toContain(`image: ${NEW_IMAGE}   # pinned by CI`);
    expect(onBranch).toContain(WORKER_V4);
    expect(
      execFileSync('git', ['--git-dir', repo.fake.repo, 'rev-parse', `${BRANCH}^`], {
        encoding: 'utf8',
      }).trim(),
    ).toBe(main);
    expect(writeLines()).toEqual([
      'POST projects/ops%2Fdeployments/repository/commits 400',
      'POST projects/ops%2Fdeployments/repository/commits 201',
      'POST projects/ops%2Fdeployments/merge_requests 201',
    ]);
  });

  it('a second refusal is an error naming the step, and no merge request is opened', async () => {
    let error: unknown;
    try {
      await run({}, racingClient(2));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SuggestImageError);
    expect((error as SuggestImageError).code).toBe('GITLAB_FAILED');
    expect((error as SuggestImageError).message).toMatch(
      /^push branch suggest\/deploy-host\/webapp failed: .*400.*has changed since you started editing it/,
    );
    expect(await repo.fake.branchHead(BRANCH)).toBeNull();
    expect(repo.fake.mergeRequests).toHaveLength(0);
  });

  it('when the change that raced pinned the same digest, the rerun reads "already pinned"', async () => {
    const gitlab: SuggestGitlab = {
      ...repo.client,
      async findOpenMergeRequest(project, branch) {
        await repo.fake.commitFiles('main', {
          'deploy-host/stow.yaml': STOW_YAML.replace(OLD_IMAGE, NEW_IMAGE),
        });
        return repo.client.findOpenMergeRequest(project, branch);
      },
    };
    const result = await run({}, gitlab);
    expect(result).toMatchObject({ kind: 'already-pinned', image: NEW_IMAGE });
    expect(writeLines()).toEqual(['POST projects/ops%2Fdeployments/repository/commits 400']);
  });
});
