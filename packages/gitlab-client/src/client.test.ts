import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeGitlab } from '@stow/fake-gitlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFromApiUrl } from './api-url.js';
import { createGitlabClient } from './client.js';
import { extractSubfolderArchive } from './extract.js';
import { fakeRetryEnv, JOB_TOKEN, READ_TOKEN, startFake, TOKEN } from './test-support/fixtures.js';
import type { GitlabClient } from './types.js';

describe('GitLab client against fake-gitlab', () => {
  let fake: FakeGitlab;
  let dir: string;
  let stop: () => Promise<void>;
  let client: GitlabClient;
  let c1: string;
  let c2: string;
  const P = 'ops/deployments';

  beforeAll(async () => {
    ({ fake, dir, cleanup: stop } = await startFake());
    client = createGitlabClient({ apiUrl: `${fake.apiUrl}/`, token: TOKEN, retryEnv: fakeRetryEnv().env });
    c1 = await fake.commitFiles('main', {
      'h1/stow.yaml': 'image: a\n',
      'h1/config/a.conf': 'x\n',
      'h2/stow.yaml': 'b\n',
    });
    c2 = await fake.commitFiles('main', { 'h1/stow.yaml': 'image: b\n' });
  });
  afterAll(async () => {
    await client.close();
    await stop();
  });

  it('derives the gitbeaker host from the API URL', () => {
    expect(hostFromApiUrl('https://git.example.com/api/v4')).toBe('https://git.example.com');
    expect(hostFromApiUrl('https://git.example.com/gitlab/api/v4/')).toBe('https://git.example.com/gitlab');
    expect(() => hostFromApiUrl('https://git.example.com/')).toThrow(/must end with \/api\/v4/);
  });

  it('reads the project by path and by numeric id', async () => {
    const byPath = await client.getProject(P);
    expect(byPath).toMatchObject({ id: 1, path: 'deployments', pathWithNamespace: P, defaultBranch: 'main' });
    expect(await client.getProject(1)).toEqual(byPath);
  });

  it('gives the default branch head', async () => {
    expect(await client.defaultBranchHead(P)).toEqual({ branch: 'main', sha: c2 });
  });

  it('looks up commits; null or NOT_FOUND for unknown ones', async () => {
    const commit = await client.getCommit(P, c1);
    expect(commit).toMatchObject({ sha: c1, shortSha: c1.slice(0, 8), parentIds: [] });
    expect((await client.getCommit(P, c2)).parentIds).toEqual([c1]);
    expect(await client.findCommit(P, 'deadbeefdeadbeef')).toBeNull();
    await expect(client.getCommit(P, 'deadbeefdeadbeef')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
  });

  it('checks default-branch membership through commits/:sha/refs (all pages)', async () => {
    const side = await fake.commitFiles('side', { 'h1/stow.yaml': 'side\n' }, { from: 'main' });
    for (let i = 0; i < 25; i += 1)
      await fake.commitFiles(`b${i}`, {}, { from: 'main' }).catch(() => undefined);
    expect(await client.isOnDefaultBranch(P, c1)).toBe(true);
    expect(await client.isOnDefaultBranch(P, side)).toBe(false);
    expect(await client.isOnDefaultBranch(P, '0123456789abcdef0123456789abcdef01234567')).toBe(false);
    await expect(client.isOnDefaultBranch(P, 'main')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('follows Link pagination for branches containing a commit', async () => {
    for (let i = 0; i < 105; i += 1) {
      await fake.commitFiles(`many/${i}`, { [`x/${i}`]: 'y' }, { from: 'main' });
    }
    const branches = await client.branchesContaining(P, c1);
    expect(branches.filter((b) => b.startsWith('many/'))).toHaveLength(105);
    const pages = fake.requests.filter((r) => r.path.endsWith(`${c1}/refs`) && r.query.page === '2');
    expect(pages.length).toBeGreaterThan(0);
  }, 120_000);

  it('downloads one subfolder at a commit as a stream (same-origin, path kept) and extracts it', async () => {
    const stream = await client.downloadArchive(P, { sha: c1, path: 'h1' });
    const staging = join(dir, 'st1');
    await extractSubfolderArchive(stream, { stagingDir: staging, subfolder: 'h1' });
    expect(await readFile(join(staging, 'stow.yaml'), 'utf8')).toBe('image: a\n');
    expect(await readFile(join(staging, 'config/a.conf'), 'utf8')).toBe('x\n');
    const req = fake.requests.findLast((r) => r.path.includes('repository/archive'));
    expect(req).toMatchObject({ query: { sha: c1, path: 'h1' }, secFetchMode: 'same-origin', status: 200 });
  });

  it('maps a missing archive commit to NOT_FOUND naming the endpoint; a missing path is an empty 200', async () => {
    // GitLab answers a path the commit does not have with a 200 and no body (the source sorts it out).
    const empty = await client.downloadArchive(P, { sha: c1, path: 'nope' });
    let bytes = 0;
    for await (const chunk of empty) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(0);
    const err = await client
      .downloadArchive(P, { sha: '0123456789abcdef0123456789abcdef01234567', path: 'h1' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect((err as Error).message).toMatch(
      /^GET \/api\/v4\/projects\/ops%2Fdeployments\/repository\/archive\.tar\.gz: 404/,
    );
  });

  it('reads a file with its blob and last commit; null when missing', async () => {
    const f = await client.readFile(P, 'h1/stow.yaml', 'main');
    expect(f).toMatchObject({ path: 'h1/stow.yaml', ref: 'main', commitId: c2, lastCommitId: c2 });
    expect(f.content.toString()).toBe('image: b\n');
    expect((await client.readFile(P, 'h1/config/a.conf', 'main')).lastCommitId).toBe(c1);
    expect(await client.findFile(P, 'h1/missing.yaml', 'main')).toBeNull();
  });

  it('force-commits a branch from the default branch, replacing what it held', async () => {
    const first = await client.forceCommitBranch(P, {
      branch: 'suggest/h1/app',
      startBranch: 'main',
      message: 'pin app',
      actions: [{ action: 'update', filePath: 'h1/stow.yaml', content: 'image: c\n' }],
    });
    expect(first.parentIds).toEqual([c2]);
    const second = await client.forceCommitBranch(P, {
      branch: 'suggest/h1/app',
      startSha: c2,
      message: 'pin app again',
      actions: [{ action: 'update', filePath: 'h1/stow.yaml', content: 'image: d\n' }],
    });
    expect(second.parentIds).toEqual([c2]);
    expect(await fake.branchHead('suggest/h1/app')).toBe(second.sha);
    expect((await client.readFile(P, 'h1/stow.yaml', 'suggest/h1/app')).content.toString()).toBe(
      'image: d\n',
    );
  });

  it('reports a stale last_commit_id as a rejected request', async () => {
    const err = await client
      .forceCommitBranch(P, {
        branch: 'suggest/stale',
        startBranch: 'main',
        message: 'm',
        actions: [{ action: 'update', filePath: 'h1/stow.yaml', content: 'z', lastCommitId: c1 }],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REJECTED', status: 400 });
    expect((err as Error).message).toMatch(
      /POST .*repository\/commits: 400 .*has changed since you started editing/,
    );
  });

  it('finds, creates and updates the open MR of a source branch; 409 on a duplicate', async () => {
    expect(await client.findOpenMergeRequest(P, 'suggest/h1/app')).toBeNull();
    const mr = await client.createMergeRequest(P, {
      sourceBranch: 'suggest/h1/app',
      targetBranch: 'main',
      title: 'Pin app',
      description: 'old -> new',
      assigneeIds: [146],
      removeSourceBranch: true,
    });
    expect(mr).toMatchObject({ iid: 1, state: 'opened', assigneeIds: [146], removeSourceBranch: true });
    expect(await client.findOpenMergeRequest(P, 'suggest/h1/app')).toMatchObject({
      iid: 1,
      title: 'Pin app',
    });
    const dup = await client
      .createMergeRequest(P, { sourceBranch: 'suggest/h1/app', targetBranch: 'main', title: 'again' })
      .catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect((dup as Error).message).toContain(
      'Another open merge request already exists for this source branch: !1',
    );
    const edited = await client.updateMergeRequest(P, 1, { title: 'Pin app v2', assigneeIds: [] });
    expect(edited).toMatchObject({ title: 'Pin app v2', assigneeIds: [] });
  });

  it('looks users up by id and username, with their state', async () => {
    expect(await client.getUser(146)).toMatchObject({ username: 'alice', state: 'active' });
    expect(await client.getUser(999)).toBeNull();
    expect(await client.getUser(147)).toMatchObject({ username: 'bob', state: 'blocked' });
    // GitLab never lists blocked users to a non-admin: by name, bob is not found.
    expect(await client.findUserByUsername('bob')).toBeNull();
    expect(await client.findUserByUsername('nobody')).toBeNull();
  });

  it('says which scope a read_api token lacks for writes', async () => {
    const ro = createGitlabClient({ apiUrl: fake.apiUrl, token: READ_TOKEN });
    try {
      expect((await ro.defaultBranchHead(P)).branch).toBe('main');
      const err = await ro
        .forceCommitBranch(P, {
          branch: 'x',
          startBranch: 'main',
          message: 'm',
          actions: [{ action: 'create', filePath: 'n', content: 'n' }],
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'FORBIDDEN', status: 403 });
      expect((err as Error).message).toMatch(
        /403 Forbidden: the GitLab access token lacks permission; it needs scope api/,
      );
    } finally {
      await ro.close();
    }
  });

  it('says that CI_JOB_TOKEN cannot read the project or archive', async () => {
    const job = createGitlabClient({ apiUrl: fake.apiUrl, token: JOB_TOKEN, tokenKind: 'job' });
    try {
      expect((await job.getCommit(P, c1)).sha).toBe(c1);
      const err = await job.downloadArchive(P, { sha: c1, path: 'h1' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
      expect((err as Error).message).toMatch(/CI_JOB_TOKEN cannot call this endpoint; .*scope read_api/);
    } finally {
      await job.close();
    }
  });

  it('says a wrong token was rejected', async () => {
    const bad = createGitlabClient({ apiUrl: fake.apiUrl, token: 'glpat-wrong' });
    try {
      await expect(bad.getProject(P)).rejects.toThrow(
        /401 Unauthorized: the GitLab access token was rejected/,
      );
    } finally {
      await bad.close();
    }
  });
});
