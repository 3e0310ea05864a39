import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeGitlab, type FakeGitlab } from './index.js';

// GitLab behaviours the fake reproduces by default (each is cited beside its code).
const API = 'glpat-rules';
const OWN_JOB = 'job-own-project';
const OTHER_JOB = 'job-app-project';

let dir: string;
let fake: FakeGitlab;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-gitlab-rules-'));
  fake = await createFakeGitlab({
    repo: join(dir, 'repo.git'),
    tokens: [
      { token: API, scopes: ['api'] },
      { token: OWN_JOB, kind: 'job' },
      { token: OTHER_JOB, kind: 'job', project: 'apps/webapp' },
    ],
    users: [
      { id: 1, username: 'bot' },
      { id: 146, username: 'alice' },
      { id: 150, username: 'pipeline.user', member: false },
      { id: 147, username: 'bob', state: 'blocked' },
    ],
  });
  await fake.commitFiles('main', { 'deploy/stow.yaml': 'v1\n' });
  await fake.commitFiles('suggest/x', { 'deploy/stow.yaml': 'v2\n' }, { from: 'main' });
  await fake.commitFiles('release', { 'r.txt': 'r\n' }, { from: 'main' });
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function call(path: string, init: { method?: string; body?: unknown; job?: string } = {}) {
  const headers: Record<string, string> = init.job ? { 'JOB-TOKEN': init.job } : { 'PRIVATE-TOKEN': API };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${fake.apiUrl}/${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read loosely shaped JSON
  return { status: r.status, body: (await r.json()) as any };
}
const openMr = (body: Record<string, unknown>) =>
  call('projects/1/merge_requests', { method: 'POST', body: { title: 't', ...body } });
const editMr = (iid: number, body: Record<string, unknown>) =>
  call(`projects/1/merge_requests/${iid}`, { method: 'PUT', body });
const ids = (mr: { assignees: Array<{ id: number }> }) => mr.assignees.map((a) => a.id);

describe('assignees who cannot read the project are dropped silently', () => {
  it('create: the non-member is not assigned and nothing says so', async () => {
    const r = await openMr({ source_branch: 'suggest/x', target_branch: 'main', assignee_ids: [150] });
    expect(r.status).toBe(201);
    expect(ids(r.body)).toEqual([]);
    expect(r.body.assignee).toBeNull();
  });

  it('update: a dropped assignee leaves the previous ones; [0] unassigns; a member sticks', async () => {
    const { body } = await openMr({ source_branch: 'suggest/x', target_branch: 'main', assignee_ids: [146] });
    expect(ids(body)).toEqual([146]);
    expect(ids((await editMr(body.iid, { assignee_ids: [150] })).body)).toEqual([146]);
    expect(ids((await editMr(body.iid, { assignee_ids: [150, 1] })).body)).toEqual([1]);
    expect(ids((await editMr(body.iid, { assignee_ids: [0] })).body)).toEqual([]);
    fake.updateUser('pipeline.user', { member: true });
    expect(ids((await editMr(body.iid, { assignee_id: 150 })).body)).toEqual([150]);
  });

  it('an unknown user id is dropped like a non-member', async () => {
    const r = await openMr({ source_branch: 'suggest/x', target_branch: 'main', assignee_ids: [999] });
    expect(ids(r.body)).toEqual([]);
  });
});

describe('GET /users?username= never finds blocked users', () => {
  it('answers [] for a blocked user, who is still readable by id', async () => {
    expect((await call('users?username=bob')).body).toEqual([]);
    expect((await call('users')).body.map((u: { username: string }) => u.username)).not.toContain('bob');
    expect((await call('users/147')).body).toMatchObject({ username: 'bob', state: 'blocked' });
  });

  it('follows a block and an unblock', async () => {
    expect((await call('users?username=alice')).body).toMatchObject([{ id: 146 }]);
    fake.updateUser('alice', { state: 'banned' });
    expect((await call('users?username=alice')).body).toEqual([]);
    fake.updateUser('alice', { state: 'active' });
    expect((await call('users?username=ALICE')).body).toMatchObject([{ id: 146 }]);
  });

  it('updateUser refuses an unknown user', () => {
    expect(() => fake.updateUser('ghost', { member: true })).toThrow(/no user ghost/);
  });
});

describe('job tokens from projects outside the allowlist', () => {
  const path = 'projects/1/repository/branches';

  it("the project's own job token reads; another project's is refused with GitLab's message", async () => {
    expect((await call(path, { job: OWN_JOB })).status).toBe(200);
    expect(await call(path, { job: OTHER_JOB })).toEqual({
      status: 403,
      body: {
        message: '403 Forbidden - Authentication by CI/CD job token not allowed from webapp to deployments.',
      },
    });
  });

  it('allowlisted projects read; removing them from the list refuses again', async () => {
    fake.setJobTokenAllowlist(['Apps/WebApp']);
    expect((await call(path, { job: OTHER_JOB })).status).toBe(200);
    fake.setJobTokenAllowlist([]);
    expect((await call(path, { job: OTHER_JOB })).status).toBe(403);
  });

  it('an endpoint job tokens may never call stays 401, allowlisted or not', async () => {
    fake.setJobTokenAllowlist(['apps/webapp']);
    expect((await call('projects/1', { job: OTHER_JOB })).status).toBe(401);
  });

  it('the allowlist can be given when the fake starts', async () => {
    const other = await createFakeGitlab({
      repo: join(dir, 'other.git'),
      tokens: [{ token: OTHER_JOB, kind: 'job', project: 'apps/webapp' }],
      jobTokenAllowlist: ['apps/webapp'],
    });
    try {
      await other.commitFiles('main', { a: 'a' });
      const r = await fetch(`${other.apiUrl}/${path}`, { headers: { 'JOB-TOKEN': OTHER_JOB } });
      expect(r.status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('duplicate merge requests: one open MR per source AND target branch', () => {
  it('409 for the same pair, fine for the same source to another target, 422 for source = target', async () => {
    const first = await openMr({ source_branch: 'suggest/x', target_branch: 'main' });
    expect(first.status).toBe(201);
    expect(await openMr({ source_branch: 'suggest/x', target_branch: 'main' })).toEqual({
      status: 409,
      body: {
        message: [`Another open merge request already exists for this source branch: !${first.body.iid}`],
      },
    });
    expect((await openMr({ source_branch: 'suggest/x', target_branch: 'release' })).status).toBe(201);
    expect(await openMr({ source_branch: 'main', target_branch: 'main' })).toEqual({
      status: 422,
      body: { message: ["You can't use same project/branch for source and target"] },
    });
  });

  it('retargeting or reopening onto an open pair is 409 and changes nothing', async () => {
    const a = (await openMr({ source_branch: 'suggest/x', target_branch: 'main' })).body;
    const b = (await openMr({ source_branch: 'suggest/x', target_branch: 'release' })).body;
    const retarget = await editMr(b.iid, { target_branch: 'main', title: 'changed' });
    expect(retarget.status).toBe(409);
    expect(fake.mergeRequests.find((m) => m.iid === b.iid)).toMatchObject({
      targetBranch: 'release',
      title: 't',
    });
    expect((await editMr(a.iid, { state_event: 'close' })).status).toBe(200);
    expect((await editMr(b.iid, { target_branch: 'main' })).status).toBe(200);
    expect((await editMr(a.iid, { state_event: 'reopen' })).status).toBe(409);
    expect(fake.mergeRequests.find((m) => m.iid === a.iid)?.state).toBe('closed');
  });
});

describe('last_commit_id with start_sha is checked against the default branch', () => {
  const commit = (start_sha: string, last_commit_id: string) =>
    call('projects/1/repository/commits', {
      method: 'POST',
      body: {
        branch: 'suggest/new',
        start_sha,
        force: true,
        commit_message: 'pin',
        actions: [{ action: 'update', file_path: 'deploy/stow.yaml', content: 'v3\n', last_commit_id }],
      },
    });

  it('400 when the default branch changed the file after it was read, even from the old start', async () => {
    const read = (await fake.branchHead('main')) as string;
    const moved = await fake.commitFiles('main', { 'deploy/stow.yaml': 'v1b\n' });
    expect(await commit(read, read)).toEqual({
      status: 400,
      body: { message: 'The file has changed since you started editing it: deploy/stow.yaml' },
    });
    expect(await fake.branchHead('suggest/new')).toBeNull();
    expect((await commit(read, moved)).status).toBe(201);
  });

  it('a change on another branch or to another file does not count', async () => {
    const read = (await fake.branchHead('main')) as string;
    await fake.commitFiles('release', { 'deploy/stow.yaml': 'elsewhere\n' });
    await fake.commitFiles('main', { 'README.md': 'unrelated\n' });
    expect((await commit(read, read)).status).toBe(201);
  });
});
