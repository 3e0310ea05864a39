import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SuggestImageError } from './errors.js';
import { type SuggestImageOptions, suggestImage } from './suggest.js';
import {
  digestOf,
  type FakeRepo,
  fakeRepo,
  OLD_IMAGE,
  RUN_OPTIONS,
  STOW_YAML,
  writes,
} from './test-support/fake-repo.js';

const BRANCH = 'suggest/deploy-host/webapp';
const base: SuggestImageOptions = RUN_OPTIONS;

let repo: FakeRepo;
beforeEach(async () => {
  repo = await fakeRepo();
});
afterEach(async () => {
  await repo.close();
});

const git = (...args: string[]) =>
  execFileSync('git', ['--git-dir', repo.fake.repo, ...args], { encoding: 'utf8' });
const run = (options: Partial<SuggestImageOptions> = {}) =>
  suggestImage({ ...base, ...options }, { gitlab: repo.client });
async function failure(options: Partial<SuggestImageOptions>): Promise<SuggestImageError> {
  try {
    await run(options);
  } catch (error) {
    if (error instanceof SuggestImageError) return error;
    throw error;
  }
  throw new Error('expected suggestImage to fail');
}

describe('suggestImage against the fake GitLab', () => {
  it('first run: one commit on the default head with a one-line diff, and an MR with the badge', async () => {
    const result = await run({ assign: 'user:alice' });
    if (result.kind !== 'suggested') throw new Error(result.kind);
    const head = await repo.fake.branchHead(BRANCH);
    expect(result.commit).toEqual({ sha: head, moved: true });
    expect(git('rev-parse', `${BRANCH}^`).trim()).toBe(repo.seedSha);
    const diff = git('diff', '--unified=0', repo.seedSha, BRANCH);
    const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      `-    image: ${OLD_IMAGE}   # pinned by CI`,
      `+    image: registry.example.com/apps/webapp:20260429.1@${digestOf('b')}   # pinned by CI`,
    ]);
    const [mr] = repo.fake.mergeRequests;
    expect(repo.fake.mergeRequests).toHaveLength(1);
    expect(mr).toMatchObject({
      iid: result.mergeRequest.iid,
      sourceBranch: BRANCH,
      targetBranch: 'main',
      removeSourceBranch: true,
      title: 'webapp: 20260428.0 -> 20260429.1',
      assigneeIds: [146],
    });
    expect(mr?.description).toContain(
      `[![stow](https://deploy-host.example.com:17403/gitlab.svg?git_hash=${head})](https://deploy-host.example.com:17403/status?head_hash=${head})`,
    );
    expect(mr?.description).toContain(`| old | \`${OLD_IMAGE}\` |`);
    expect(result.mergeRequest.action).toBe('created');
  });

  it('rerun with a newer digest: same MR updated, branch rebased on the current default head', async () => {
    const first = await run();
    if (first.kind !== 'suggested') throw new Error(first.kind);
    const moved = await repo.fake.commitFiles('main', { 'other/notes.txt': 'x\n' }, { message: 'unrelated' });
    const second = await run({
      image: 'registry.example.com/apps/webapp:20260430.0',
      digest: `sha256:${'d'.repeat(64)}`,
    });
    if (second.kind !== 'suggested') throw new Error(second.kind);
    expect(second.mergeRequest).toMatchObject({ iid: first.mergeRequest.iid, action: 'updated' });
    expect(second.commit.moved).toBe(true);
    expect(second.commit.sha).not.toBe(first.commit.sha);
    expect(git('rev-list', '--parents', '-n', '1', BRANCH).trim().split(' ')).toEqual([
      second.commit.sha,
      moved,
    ]);
    expect(repo.fake.mergeRequests).toHaveLength(1);
    const mr = repo.fake.mergeRequests[0];
    expect(mr?.title).toBe('webapp: 20260428.0 -> 20260430.0');
    expect(mr?.description).toContain(`gitlab.svg?git_hash=${second.commit.sha}`);
    expect(mr?.description).not.toContain(first.commit.sha);
  });

  it('rerun with the same digest: the branch does not move and the MR is untouched', async () => {
    const first = await run();
    if (first.kind !== 'suggested') throw new Error(first.kind);
    const before = writes(repo.fake).length;
    const again = await run();
    if (again.kind !== 'suggested') throw new Error(again.kind);
    expect(again.commit).toEqual({ sha: first.commit.sha, moved: false });
    expect(again.mergeRequest.action).toBe('unchanged');
    expect(await repo.fake.branchHead(BRANCH)).toBe(first.commit.sha);
    expect(writes(repo.fake).length).toBe(before);
  });

  it('same digest but a new assignee: only the MR is refreshed', async () => {
    await run();
    const before = writes(repo.fake).length;
    const again = await run({ assign: 'id:146' });
    if (again.kind !== 'suggested') throw new Error(again.kind);
    expect(again.commit.moved).toBe(false);
    expect(again.mergeRequest.action).toBe('updated');
    expect(
      writes(repo.fake)
        .slice(before)
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual([`PUT projects/ops%2Fdeployments/merge_requests/${again.mergeRequest.iid}`]);
    expect(repo.fake.mergeRequests[0]?.assigneeIds).toEqual([146]);
  });

  it('a digest the default branch already pins: "already pinned", no write at all', async () => {
    const result = await run({ image: 'registry.example.com/apps/webapp:20260428.0', digest: digestOf('a') });
    expect(result).toMatchObject({ kind: 'already-pinned', image: OLD_IMAGE, defaultBranch: 'main' });
    expect(writes(repo.fake)).toEqual([]);
    expect(await repo.fake.branchHead(BRANCH)).toBeNull();
  });

  it('no daemonBaseUrl: no badge; changelog section between the tags', async () => {
    await repo.fake.commitFiles('main', {
      'deploy-host/stow.yaml': STOW_YAML.replace(/ {2}daemonBaseUrl:.*\n/, ''),
    });
    const changelog = {
      file: 'CHANGELOG.md',
      text: '# Changelog\n\n## 20260429.1\n- faster\n\n## 20260428.0\n- first\n',
    };
    const result = await run({ changelog });
    if (result.kind !== 'suggested') throw new Error(result.kind);
    const mr = repo.fake.mergeRequests[0];
    expect(mr?.description).not.toContain('gitlab.svg');
    expect(mr?.description).toContain('### Changelog (CHANGELOG.md)\n\n## 20260429.1\n- faster\n');
    expect(mr?.description).not.toContain('- first');
  });

  it('a branch pushed whose MR failed is healed by the rerun without moving the branch', async () => {
    repo.fake.injectFault({ method: 'POST', path: /merge_requests$/, status: 503, times: 5 });
    const error = await failure({});
    expect(error.code).toBe('GITLAB_FAILED');
    expect(error.message).toMatch(
      /^create the merge request for suggest\/deploy-host\/webapp failed: .*503.*has no merge request yet; rerun to finish\)$/,
    );
    const pushed = await repo.fake.branchHead(BRANCH);
    expect(pushed).not.toBeNull();
    expect(repo.fake.mergeRequests).toHaveLength(0);
    repo.fake.clearFaults();
    const healed = await run();
    if (healed.kind !== 'suggested') throw new Error(healed.kind);
    expect(healed.commit).toEqual({ sha: pushed, moved: false });
    expect(healed.mergeRequest.action).toBe('created');
    expect(repo.fake.mergeRequests[0]?.description).toContain(`git_hash=${pushed}`);
  });

  describe('bad inputs and GitLab faults: clear error, nothing written', () => {
    const cases: Array<{
      name: string;
      options?: Partial<SuggestImageOptions>;
      fault?: Parameters<FakeRepo['fake']['injectFault']>[0];
      code: string;
      message: RegExp;
    }> = [
      {
        name: 'unknown container',
        options: { container: 'api' },
        code: 'UNKNOWN_CONTAINER',
        message: /no container "api" \(known containers: webapp, worker\)/,
      },
      {
        name: 'missing stow.yaml',
        options: { subfolder: 'other-host' },
        code: 'MANIFEST_MISSING',
        message: /other-host\/stow\.yaml does not exist on main/,
      },
      {
        name: 'malformed digest',
        options: { digest: 'sha256:1234' },
        code: 'BAD_DIGEST',
        message: /--digest "sha256:1234" is not a sha256 digest/,
      },
      {
        name: 'image with a digest',
        options: { image: `registry.example.com/apps/webapp:1@${digestOf('e')}` },
        code: 'BAD_IMAGE',
        message: /already carries a digest/,
      },
      {
        name: 'bad assign entry',
        options: { assign: 'id:alice' },
        code: 'BAD_ASSIGN',
        message: /--assign entry "id:alice"/,
      },
      {
        name: 'unknown project (404)',
        options: { project: 'ops/nope' },
        code: 'GITLAB_FAILED',
        message: /^read the default branch failed: GET \/api\/v4\/projects\/ops%2Fnope: .*does not exist/,
      },
      {
        name: 'GitLab 401',
        fault: { path: /^projects\/[^/]+$/, status: 401, body: { message: '401 Unauthorized' } },
        code: 'GITLAB_FAILED',
        message: /read the default branch failed: .*401/,
      },
      {
        name: 'GitLab 5xx on the file read',
        fault: { path: 'repository/files', status: 502, times: 5 },
        code: 'GITLAB_FAILED',
        message: /read deploy-host\/stow\.yaml failed: .*502/,
      },
      {
        name: 'GitLab 409 on the commit',
        fault: { method: 'POST', path: 'repository/commits', status: 409, body: { message: 'conflict' } },
        code: 'GITLAB_FAILED',
        message: /push branch suggest\/deploy-host\/webapp failed: .*409/,
      },
      {
        name: 'GitLab 5xx on the commit',
        fault: { method: 'POST', path: 'repository/commits', status: 500, times: 5 },
        code: 'GITLAB_FAILED',
        message: /push branch suggest\/deploy-host\/webapp failed: .*500/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        if (c.fault) repo.fake.injectFault(c.fault);
        const error = await failure(c.options ?? {});
        expect(error.code).toBe(c.code);
        expect(error.message).toMatch(c.message);
        expect(error.message).not.toContain('glpat');
        expect(await repo.fake.branchHead(BRANCH)).toBeNull();
        expect(repo.fake.mergeRequests).toHaveLength(0);
        expect(writes(repo.fake).filter((r) => r.status < 300)).toEqual([]);
      });
    }
  });
});
