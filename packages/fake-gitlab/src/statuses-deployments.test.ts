import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeGitlab, type FakeGitlab } from './index.js';

const API = 'glpat-api';
const READ = 'glpat-read';

describe('commit statuses and deployments, as GitLab documents them', () => {
  let dir: string;
  let fake: FakeGitlab;
  let sha: string;
  const call = async (path: string, method = 'GET', body?: unknown, token = API) => {
    const r = await fetch(`${fake.apiUrl}/projects/1/${path}`, {
      method,
      headers: { 'PRIVATE-TOKEN': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tests read loosely shaped JSON
    return { status: r.status, body: (await r.json()) as any };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-gitlab-status-'));
    fake = await createFakeGitlab({
      repo: join(dir, 'repo.git'),
      tokens: [
        { token: API, scopes: ['api'] },
        { token: READ, scopes: ['read_api'] },
      ],
    });
    sha = await fake.commitFiles('main', { 'apps/foo/stow.yaml': 'a\n' });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves one status through running -> success and refuses running twice (400 Cannot transition)', async () => {
    const url = `statuses/${sha}`;
    const running = await call(url, 'POST', {
      state: 'running',
      name: 'stow/a',
      ref: 'main',
      target_url: 'https://h:17403/status?head_hash=x',
    });
    expect(running).toMatchObject({
      status: 201,
      body: {
        sha,
        ref: 'main',
        name: 'stow/a',
        status: 'running',
        target_url: 'https://h:17403/status?head_hash=x',
      },
    });
    const again = await call(url, 'POST', { state: 'running', name: 'stow/a', ref: 'main' });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/^Cannot transition status via :run from :running/);
    const done = await call(url, 'POST', { state: 'success', name: 'stow/a', ref: 'main' });
    expect(done.body).toMatchObject({ id: running.body.id, status: 'success' });
    // Finished: a new post is a new status (a retry), and the list shows the latest per name.
    const retry = await call(url, 'POST', { state: 'running', name: 'stow/a', ref: 'main' });
    expect(retry.body.id).not.toBe(running.body.id);
    const list = await call(`repository/commits/${sha}/statuses`);
    expect(list.body.map((s: { id: number }) => s.id)).toEqual([retry.body.id]);
    expect((await call(`repository/commits/${sha}/statuses?all=true`)).body).toHaveLength(2);
  });

  it('defaults name to "default" and ref to a branch containing the commit', async () => {
    const created = await call(`statuses/${sha}`, 'POST', { state: 'pending' });
    expect(created.body).toMatchObject({ name: 'default', ref: 'main', status: 'pending' });
  });

  it('refuses bad statuses: missing or unknown state, non-http target_url, unknown commit, read_api token', async () => {
    expect(await call(`statuses/${sha}`, 'POST', { name: 'x' })).toMatchObject({
      status: 400,
      body: { error: 'state is missing' },
    });
    expect(await call(`statuses/${sha}`, 'POST', { state: 'done' })).toMatchObject({
      status: 400,
      body: { error: 'state does not have a valid value' },
    });
    expect(await call(`statuses/${sha}`, 'POST', { state: 'success', target_url: 'git://x' })).toMatchObject({
      status: 400,
      body: { message: { target_url: ['is blocked: Only allowed schemes are http, https'] } },
    });
    expect(await call(`statuses/${'0'.repeat(40)}`, 'POST', { state: 'success' })).toMatchObject({
      status: 404,
      body: { message: '404 Commit Not Found' },
    });
    expect(await call(`statuses/${sha}`, 'POST', { state: 'success' }, READ)).toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope' },
    });
    expect((await call(`repository/commits/${sha}/statuses`, 'GET', undefined, READ)).status).toBe(200);
  });

  it('creates a deployment in a new environment, updates its status and lists both', async () => {
    const created = await call('deployments', 'POST', {
      environment: 'host-a',
      sha,
      ref: 'main',
      tag: false,
      status: 'running',
    });
    expect(created).toMatchObject({
      status: 201,
      body: { sha, ref: 'main', status: 'running', environment: { name: 'host-a' }, deployable: null },
    });
    const updated = await call(`deployments/${created.body.id}`, 'PUT', { status: 'success' });
    expect(updated).toMatchObject({ status: 200, body: { id: created.body.id, status: 'success' } });
    const listed = await call('deployments?environment=host-a');
    expect(listed.body.map((d: { status: string }) => d.status)).toEqual(['success']);
    const environments = await call('environments?name=host-a');
    expect(environments.body).toMatchObject([{ name: 'host-a', state: 'available' }]);
  });

  it('refuses bad deployments: missing keys, bad status, bad environment name, unknown id, read_api token', async () => {
    expect(await call('deployments', 'POST', { environment: 'x', status: 'running' })).toMatchObject({
      status: 400,
      body: { error: 'sha is missing, ref is missing, tag is missing' },
    });
    const base = { environment: 'x', sha, ref: 'main', tag: false };
    expect(await call('deployments', 'POST', { ...base, status: 'created' })).toMatchObject({
      status: 400,
      body: { error: 'status does not have a valid value' },
    });
    const badName = await call('deployments', 'POST', { ...base, environment: '/bad', status: 'running' });
    expect(badName.status).toBe(400);
    expect(badName.body.message.name[0]).toMatch(/cannot start or end with '\/'/);
    expect(await call('deployments/999999', 'PUT', { status: 'success' })).toMatchObject({
      status: 404,
      body: { message: '404 Not found' },
    });
    expect(await call('deployments', 'POST', { ...base, status: 'running' }, READ)).toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope' },
    });
  });
});
