import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeGitlab, type FakeGitlab } from './index.js';

const exec = promisify(execFile);
const API = 'glpat-api';
const READ = 'glpat-read';
const JOB = 'job-token';

async function tarNames(gz: Buffer): Promise<string[]> {
  const names: string[] = [];
  const ex = extract();
  ex.end(gunzipSync(gz));
  for await (const entry of ex) {
    names.push(entry.header.name);
    entry.resume();
  }
  return names;
}

describe('fake-gitlab', () => {
  let dir: string;
  let fake: FakeGitlab;
  let c1: string;
  let c2: string;
  const api = (path: string, init: RequestInit & { token?: string | null; job?: string } = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (init.job) headers['JOB-TOKEN'] = init.job;
    else if (init.token !== null) headers['PRIVATE-TOKEN'] = init.token ?? API;
    if (init.body) headers['Content-Type'] = 'application/json';
    return fetch(`${fake.apiUrl}/${path}`, { ...init, headers });
  };
  const json = async (r: Response) => ({
    status: r.status,
    type: r.headers.get('content-type'),
    // biome-ignore lint/suspicious/noExplicitAny: the tests read loosely shaped JSON
    body: (await r.json()) as any,
  });
  const post = (path: string, body: unknown, method = 'POST', token?: string) =>
    api(path, { method, body: JSON.stringify(body), ...(token ? { token } : {}) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-gitlab-'));
    fake = await createFakeGitlab({
      repo: join(dir, 'repo.git'),
      tokens: [
        { token: API, scopes: ['api'] },
        { token: READ, scopes: ['read_api'] },
        { token: JOB, kind: 'job' },
        { token: 'glpat-revoked', revoked: true },
      ],
      users: [
        { id: 1, username: 'bot' },
        { id: 146, username: 'alice', name: 'Alice' },
        { id: 147, username: 'bob', state: 'blocked' },
      ],
    });
    c1 = await fake.commitFiles('main', {
      'apps/foo/stow.yaml': 'a\n',
      'apps/bar/x': 'b\n',
      'top.txt': 't\n',
    });
    c2 = await fake.commitFiles('main', { 'apps/foo/stow.yaml': 'a2\n' });
  });
  afterEach(() => fake.clearFaults());
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the project by numeric id or URL-encoded path with Content-Type application/json exactly', async () => {
    const byPath = await json(await api('projects/ops%2Fdeployments'));
    expect(byPath.type).toBe('application/json');
    expect(byPath.body).toMatchObject({
      id: 1,
      path: 'deployments',
      path_with_namespace: 'ops/deployments',
      default_branch: 'main',
    });
    expect((await json(await api('projects/1'))).body).toEqual(byPath.body);
    expect(await json(await api('projects/ops%2Fother'))).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
  });

  it('reports default_branch null for an empty repository', async () => {
    const empty = await createFakeGitlab({ repo: join(dir, 'empty.git'), tokens: [{ token: API }] });
    try {
      const r = await fetch(`${empty.apiUrl}/projects/1`, { headers: { 'PRIVATE-TOKEN': API } });
      expect(((await r.json()) as { default_branch: unknown }).default_branch).toBeNull();
    } finally {
      await empty.close();
    }
  });

  it('hides the private project from anonymous callers (404) and rejects unknown tokens (401)', async () => {
    expect(await json(await api('projects/1', { token: null }))).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
    expect(await json(await api('projects/1', { token: 'nope' }))).toMatchObject({
      status: 401,
      body: { message: '401 Unauthorized' },
    });
    expect((await json(await api('projects/1', { token: 'glpat-revoked' }))).body).toMatchObject({
      error: 'invalid_token',
    });
    const bearer = await fetch(`${fake.apiUrl}/projects/1`, { headers: { Authorization: `Bearer ${API}` } });
    expect(bearer.status).toBe(200);
  });

  it('checks scopes: read_api reads, only api writes (403 insufficient_scope)', async () => {
    expect((await api('projects/1', { token: READ })).status).toBe(200);
    const r = await json(
      await post('projects/1/repository/branches', { branch: 'x', ref: 'main' }, 'POST', READ),
    );
    expect(r).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
  });

  it('answers 401 to CI_JOB_TOKEN where GitLab refuses it, and serves its allow list', async () => {
    for (const path of [
      'projects/1',
      `projects/1/repository/archive.tar.gz?sha=${c1}`,
      'projects/1/repository/files/top.txt?ref=main',
      'users?username=bot',
    ]) {
      expect((await api(path, { job: JOB, mode: 'same-origin' })).status, path).toBe(401);
    }
    expect(
      (
        await post(
          'projects/1/merge_requests',
          { source_branch: 'a', target_branch: 'main', title: 't' },
          'POST',
          undefined,
        )
      ).status,
    ).not.toBe(401);
    const jobPost = await api('projects/1/repository/commits', { method: 'POST', job: JOB, body: '{}' });
    expect(jobPost.status).toBe(401);
    for (const path of [
      `projects/1/repository/commits/${c1}`,
      'projects/1/repository/files/top.txt/raw?ref=main',
      'projects/1/repository/branches',
      'projects/1/merge_requests',
    ]) {
      expect((await api(path, { job: JOB })).status, path).toBe(200);
    }
  });

  it('serves the archive of a subfolder with GitLab prefix <path>-<ref>-<sha>-<path> and the path kept inside', async () => {
    const r = await api(`projects/1/repository/archive.tar.gz?sha=${c1}&path=apps/foo`, {
      mode: 'same-origin',
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(r.headers.get('content-length')).toBeNull();
    const prefix = `deployments-${c1}-${c1}-apps-foo`;
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${prefix}.tar.gz"`);
    const names = await tarNames(Buffer.from(await r.arrayBuffer()));
    expect(names).toContain(`${prefix}/apps/foo/stow.yaml`);
    expect(names.some((n) => n.includes('bar') || n.includes('top.txt'))).toBe(false);
  });

  it('archives the default branch tip with no sha, named after the ref', async () => {
    const r = await api('projects/1/repository/archive', { mode: 'same-origin' });
    const names = await tarNames(Buffer.from(await r.arrayBuffer()));
    expect(names[0]).toBe(`deployments-main-${c2}/`);
  });

  it('answers 404 File Not Found for a bad sha or path (a missing path: gitlab-limits.test.ts)', async () => {
    for (const q of ['sha=0123456789abcdef0123456789abcdef01234567', `sha=${c1}&path=../x`]) {
      const r = await json(await api(`projects/1/repository/archive.tar.gz?${q}`, { mode: 'same-origin' }));
      expect(r).toMatchObject({
        status: 404,
        type: 'application/json',
        body: { message: '404 File Not Found' },
      });
    }
  });

  it('answers 406 to archive requests that look like hotlinks (Sec-Fetch-Mode: cors)', async () => {
    expect((await api(`projects/1/repository/archive.tar.gz?sha=${c1}`)).status).toBe(406);
    const img = await api(`projects/1/repository/archive.tar.gz?sha=${c1}`, {
      mode: 'same-origin',
      headers: { Accept: 'image/png' },
    });
    expect(img.status).toBe(406);
  });

  it('shows commits and 404 Commit Not Found', async () => {
    const r = await json(await api(`projects/1/repository/commits/${c2}`));
    expect(r.body).toMatchObject({ id: c2, short_id: c2.slice(0, 8), parent_ids: [c1] });
    expect((await json(await api('projects/1/repository/commits/main'))).body.id).toBe(c2);
    expect((await json(await api('projects/1/repository/commits/deadbeef'))).body).toEqual({
      message: '404 Commit Not Found',
    });
  });

  it('lists the branches containing a commit, paginated with x-* headers and Link', async () => {
    for (let i = 0; i < 3; i += 1) await fake.commitFiles(`feat/${i}`, { [`f${i}`]: 'x' }, { from: 'main' });
    const r = await api(`projects/1/repository/commits/${c1}/refs?type=branch&per_page=2`);
    expect(r.headers.get('x-total')).toBe('4');
    expect(r.headers.get('x-total-pages')).toBe('2');
    expect(r.headers.get('x-next-page')).toBe('2');
    expect(r.headers.get('x-prev-page')).toBe('');
    expect(r.headers.get('link')).toMatch(/<[^>]*page=2[^>]*>; rel="next"/);
    expect(r.headers.get('link')).toMatch(/rel="first".*rel="last"/);
    expect(await r.json()).toHaveLength(2);
    const p2 = await api(`projects/1/repository/commits/${c1}/refs?type=branch&per_page=2&page=2`);
    expect(p2.headers.get('link')).toMatch(/rel="prev"/);
    expect(p2.headers.get('link')).not.toMatch(/rel="next"/);
  });

  it('serves files as JSON (base64, blob_id, last_commit_id) and raw; ref is required', async () => {
    const f = (await json(await api('projects/1/repository/files/apps%2Fbar%2Fx?ref=main'))).body;
    expect(f).toMatchObject({
      file_path: 'apps/bar/x',
      encoding: 'base64',
      ref: 'main',
      commit_id: c2,
      last_commit_id: c1,
    });
    expect(Buffer.from(f.content, 'base64').toString()).toBe('b\n');
    const raw = await api('projects/1/repository/files/apps%2Fbar%2Fx/raw?ref=main');
    expect(raw.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await raw.text()).toBe('b\n');
    expect((await json(await api('projects/1/repository/files/nope?ref=main'))).body).toEqual({
      message: '404 File Not Found',
    });
    expect(await json(await api('projects/1/repository/files/top.txt'))).toMatchObject({
      status: 400,
      body: { error: 'ref is missing' },
    });
  });

  it('creates, shows and deletes branches', async () => {
    expect((await post('projects/1/repository/branches', { branch: 'tmp', ref: c1 })).status).toBe(201);
    expect((await json(await api('projects/1/repository/branches/tmp'))).body.commit.id).toBe(c1);
    expect(
      await json(await post('projects/1/repository/branches', { branch: 'tmp', ref: 'main' })),
    ).toMatchObject({ status: 400, body: { message: 'Branch already exists' } });
    expect((await api('projects/1/repository/branches/tmp', { method: 'DELETE' })).status).toBe(204);
    expect((await json(await api('projects/1/repository/branches/tmp'))).body).toEqual({
      message: '404 Branch Not Found',
    });
  });

  it('commits actions create/update/delete/move/chmod and returns 201 with the commit', async () => {
    const r = await json(
      await post('projects/1/repository/commits', {
        branch: 'work',
        start_branch: 'main',
        commit_message: 'all actions',
        actions: [
          { action: 'create', file_path: 'new.txt', content: 'bmV3', encoding: 'base64' },
          { action: 'update', file_path: 'top.txt', content: 'T\n' },
          { action: 'delete', file_path: 'apps/bar/x' },
          { action: 'move', previous_path: 'apps/foo/stow.yaml', file_path: 'apps/foo/moved.yaml' },
          { action: 'chmod', file_path: 'new.txt', execute_filemode: true },
        ],
      }),
    );
    expect(r).toMatchObject({ status: 201, body: { title: 'all actions', parent_ids: [c2] } });
    const { stdout } = await exec('git', [`--git-dir=${fake.repo}`, 'ls-tree', '-r', 'work']);
    expect(stdout).toMatch(/100755 blob \w+\tnew.txt/);
    expect(stdout).toContain('apps/foo/moved.yaml');
    expect(stdout).not.toContain('apps/bar/x');
    const top = await api('projects/1/repository/files/top.txt/raw?ref=work');
    expect(await top.text()).toBe('T\n');
  });

  it('refuses start_branch with start_sha, impossible actions, and an existing branch without force', async () => {
    const base = {
      branch: 'w2',
      commit_message: 'm',
      actions: [{ action: 'create', file_path: 'z', content: 'z' }],
    };
    expect(
      (
        await json(
          await post('projects/1/repository/commits', { ...base, start_branch: 'main', start_sha: c1 }),
        )
      ).body,
    ).toEqual({
      error: 'start_branch, start_sha are mutually exclusive',
    });
    expect(
      (
        await json(
          await post('projects/1/repository/commits', {
            ...base,
            start_branch: 'main',
            actions: [{ action: 'update', file_path: 'none', content: 'x' }],
          }),
        )
      ).body,
    ).toEqual({
      message: "A file with this name doesn't exist",
    });
    expect(
      (
        await json(
          await post('projects/1/repository/commits', {
            ...base,
            start_branch: 'main',
            actions: [{ action: 'create', file_path: 'top.txt', content: 'x' }],
          }),
        )
      ).body,
    ).toEqual({
      message: 'A file with this name already exists',
    });
    expect((await post('projects/1/repository/commits', { ...base, start_branch: 'main' })).status).toBe(201);
    const again = await json(await post('projects/1/repository/commits', { ...base, start_sha: c1 }));
    expect(again).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/A branch called 'w2' already exists/) },
    });
  });

  it('force-resets a branch onto the start point with force: true', async () => {
    const r = await json(
      await post('projects/1/repository/commits', {
        branch: 'w2',
        start_sha: c1,
        force: true,
        commit_message: 'reset',
        actions: [{ action: 'update', file_path: 'top.txt', content: 'R' }],
      }),
    );
    expect(r.body.parent_ids).toEqual([c1]);
    expect(await fake.branchHead('w2')).toBe(r.body.id);
  });

  it('answers 400 for a stale last_commit_id', async () => {
    const r = await json(
      await post('projects/1/repository/commits', {
        branch: 'w3',
        start_branch: 'main',
        commit_message: 'm',
        actions: [{ action: 'update', file_path: 'apps/foo/stow.yaml', content: 'x', last_commit_id: c1 }],
      }),
    );
    expect(r).toMatchObject({
      status: 400,
      body: { message: 'The file has changed since you started editing it: apps/foo/stow.yaml' },
    });
    const ok = await post('projects/1/repository/commits', {
      branch: 'w3',
      start_branch: 'main',
      commit_message: 'm',
      actions: [{ action: 'update', file_path: 'apps/foo/stow.yaml', content: 'x', last_commit_id: c2 }],
    });
    expect(ok.status).toBe(201);
  });

  it('lists, creates and edits MRs: 409 array for a duplicate open MR, assignees, remove_source_branch', async () => {
    await fake.commitFiles('suggest/a', { 'apps/foo/stow.yaml': 'pinned\n' }, { from: 'main' });
    const created = await json(
      await post('projects/1/merge_requests', {
        source_branch: 'suggest/a',
        target_branch: 'main',
        title: 'Pin',
        assignee_ids: [146],
        remove_source_branch: true,
      }),
    );
    expect(created).toMatchObject({
      status: 201,
      body: {
        state: 'opened',
        force_remove_source_branch: true,
        assignees: [{ id: 146, username: 'alice' }],
      },
    });
    const iid = created.body.iid as number;
    const dup = await json(
      await post('projects/1/merge_requests', {
        source_branch: 'suggest/a',
        target_branch: 'main',
        title: 'x',
      }),
    );
    expect(dup).toEqual({
      status: 409,
      type: 'application/json',
      body: { message: [`Another open merge request already exists for this source branch: !${iid}`] },
    });
    expect(
      await json(
        await post('projects/1/merge_requests', { source_branch: 'nope', target_branch: 'main', title: 'x' }),
      ),
    ).toMatchObject({ status: 422 });
    expect(
      (
        await json(
          await post('projects/1/merge_requests', { source_branch: 'suggest/a', target_branch: 'main' }),
        )
      ).body,
    ).toEqual({ error: 'title is missing' });
    const list = await json(await api('projects/1/merge_requests?source_branch=suggest/a&state=opened'));
    expect(list.body.map((m: { iid: number }) => m.iid)).toEqual([iid]);
    const edited = await json(
      await post(`projects/1/merge_requests/${iid}`, { title: 'Pin v2', assignee_ids: [0] }, 'PUT'),
    );
    expect(edited.body).toMatchObject({ title: 'Pin v2', assignees: [] });
  });

  it('merges an MR (API and helper), deleting the source branch when asked', async () => {
    await fake.commitFiles('suggest/b', { 'b.txt': 'b' }, { from: 'main' });
    const mr = await json(
      await post('projects/1/merge_requests', {
        source_branch: 'suggest/b',
        target_branch: 'main',
        title: 'B',
        remove_source_branch: true,
      }),
    );
    const merged = await json(await post(`projects/1/merge_requests/${mr.body.iid}/merge`, {}, 'PUT'));
    expect(merged.body).toMatchObject({ state: 'merged' });
    expect(await fake.branchHead('main')).toBe(merged.body.merge_commit_sha);
    expect(await fake.branchHead('suggest/b')).toBeNull();
    expect((await post(`projects/1/merge_requests/${mr.body.iid}/merge`, {}, 'PUT')).status).toBe(405);
    const open = fake.mergeRequests.find((m) => m.sourceBranch === 'suggest/a' && m.state === 'opened');
    const sha = await fake.merge(open?.iid ?? 0);
    expect(await fake.branchHead('main')).toBe(sha);
  });

  it('finds users by username (array) and id, with their state', async () => {
    expect((await json(await api('users?username=alice'))).body).toMatchObject([
      { id: 146, state: 'active' },
    ]);
    expect((await json(await api('users/147'))).body).toMatchObject({ username: 'bob', state: 'blocked' });
    expect((await json(await api('users?username=nobody'))).body).toEqual([]);
    expect((await json(await api('users/146'))).body).toMatchObject({ username: 'alice', state: 'active' });
    expect((await json(await api('users/9'))).body).toEqual({ message: '404 User Not Found' });
  });

  it('injects 429 with Retry-After (Rack::Attack text body) for the next N matching requests', async () => {
    fake.injectFault({ path: 'projects/1', method: 'GET', status: 429, retryAfter: 7, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const r = await api('projects/1');
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('7');
      expect(await r.text()).toBe('Retry later\n');
    }
    expect((await api('projects/1')).status).toBe(200);
  });

  it('injects 5xx, slow answers, resets and truncated bodies', async () => {
    fake.injectFault({ path: 'users', status: 502 });
    expect((await api('users/146')).status).toBe(502);
    fake.injectFault({ path: 'users', delayMs: 300 });
    const t0 = Date.now();
    await api('users/146');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    fake.injectFault({ path: 'users', reset: true });
    await expect(api('users/146')).rejects.toThrow();
    fake.injectFault({ path: 'repository/archive', truncateAfterBytes: 100 });
    const r = await api(`projects/1/repository/archive.tar.gz?sha=${c1}`, { mode: 'same-origin' });
    await expect(r.arrayBuffer()).rejects.toThrow();
  });

  it('starts from the command line and prints its API URL', async () => {
    const { spawn } = await import('node:child_process');
    const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
    const child = spawn(
      process.execPath,
      [cli, '--repo', fake.repo, '--port', '0', '--token', 'glpat-cli:read_api'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await new Promise<string>((resolve) =>
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v4$/);
      const r = await fetch(`${url}/projects/ops%2Fdeployments`, {
        headers: { 'PRIVATE-TOKEN': 'glpat-cli' },
      });
      expect(((await r.json()) as { default_branch: unknown }).default_branch).toBe('main');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
