import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  branchDeletionHook,
  createFakeGitlab,
  type FakeGitlab,
  mergeRequestHook,
  pushHook,
  sendWebhook,
  tagPushHook,
  ZERO_SHA,
} from './index.js';

const exec = promisify(execFile);
const TOKEN = 'glpat-limits';

describe('fake-gitlab: archives, the archive limit, the tree API', () => {
  let dir: string;
  let fake: FakeGitlab;
  let sha: string;
  // same-origin: Node's fetch otherwise sends Sec-Fetch-Mode: cors, which Workhorse refuses for archives.
  const get = (path: string) =>
    fetch(`${fake.apiUrl}/${path}`, { headers: { 'PRIVATE-TOKEN': TOKEN }, mode: 'same-origin' });
  const archive = (query: string) => get(`projects/1/repository/archive.tar.gz?${query}`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-gitlab-limits-'));
    fake = await createFakeGitlab({ repo: join(dir, 'repo.git'), tokens: [{ token: TOKEN }] });
    sha = await fake.commitFiles('main', {
      'host/stow.yaml': 'deployment: { name: web }\n',
      'host/config/app.env': 'A=1\n',
      'host/config/nested/b.txt': 'b\n',
      'README.md': 'r\n',
    });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a path the commit does not have is an empty 200, as Workhorse answers it', async () => {
    const r = await archive(`sha=${sha}&path=nothing-here`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect((await r.arrayBuffer()).byteLength).toBe(0);
    // An existing path is a real archive.
    expect((await (await archive(`sha=${sha}&path=host`)).arrayBuffer()).byteLength).toBeGreaterThan(50);
  });

  it('endAfterBytes: a 200 whose body simply stops (Gitaly failing mid-stream)', async () => {
    const full = (await (await archive(`sha=${sha}&path=host`)).arrayBuffer()).byteLength;
    fake.injectFault({ path: 'repository/archive', endAfterBytes: 20 });
    const r = await archive(`sha=${sha}&path=host`);
    expect(r.status).toBe(200);
    const body = await r.arrayBuffer();
    expect(body.byteLength).toBe(20);
    expect(body.byteLength).toBeLessThan(full);
  });

  it('the archive limit: 5 a window, then 429 JSON without Retry-After; a new window serves again; off by default', async () => {
    for (let i = 0; i < 7; i++) expect((await archive(`sha=${sha}`)).status).toBe(200); // off
    fake.setArchiveLimit({ perMinute: 5, windowMs: 400 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await archive(`sha=${sha}&path=host`);
        statuses.push(r.status);
        if (r.status === 429) {
          expect(r.headers.get('retry-after')).toBeNull();
          expect(r.headers.get('content-type')).toBe('application/json');
          expect(await r.json()).toEqual({
            error: 'This archive has been requested too many times. Try again later.',
          });
        } else await r.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await archive(`sha=${sha}&path=host`)).status).toBe(200);
      // Other endpoints are not counted.
      expect((await get(`projects/1/repository/commits/${sha}`)).status).toBe(200);
    } finally {
      fake.setArchiveLimit(null);
    }
    expect(() => fake.setArchiveLimit({ perMinute: 0 })).toThrow(/archiveLimit.perMinute/);
  });

  it('tree: recursive, with blob ids, trees included, paginated with GitLab headers', async () => {
    const r = await get(`projects/1/repository/tree?ref=${sha}&path=host&recursive=true&per_page=100`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-total')).toBe('5');
    const entries = (await r.json()) as Array<{
      id: string;
      name: string;
      type: string;
      path: string;
      mode: string;
    }>;
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect([...byPath.keys()].sort()).toEqual([
      'host/config',
      'host/config/app.env',
      'host/config/nested',
      'host/config/nested/b.txt',
      'host/stow.yaml',
    ]);
    const blob = (
      await exec('git', ['--git-dir', fake.repo, 'rev-parse', `${sha}:host/stow.yaml`])
    ).stdout.trim();
    expect(byPath.get('host/stow.yaml')).toEqual({
      id: blob,
      name: 'stow.yaml',
      type: 'blob',
      path: 'host/stow.yaml',
      mode: '100644',
    });
    expect(byPath.get('host/config')?.type).toBe('tree');

    const first = await get(`projects/1/repository/tree?ref=${sha}&path=host&recursive=true&per_page=2`);
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('link')).toMatch(/rel="next"/);
    expect(((await first.json()) as unknown[]).length).toBe(2);

    const flat = (await (await get(`projects/1/repository/tree?ref=${sha}&path=host`)).json()) as Array<{
      path: string;
    }>;
    expect(flat.map((e) => e.path).sort()).toEqual(['host/config', 'host/stow.yaml']);
  });

  it('tree: a missing path is an empty list; an unknown ref is 404 Tree Not Found', async () => {
    const missing = await get(`projects/1/repository/tree?ref=${sha}&path=nope&recursive=true`);
    expect(missing.status).toBe(200);
    expect(await missing.json()).toEqual([]);
    const unknown = await get(`projects/1/repository/tree?ref=${'f'.repeat(40)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: '404 Tree Not Found' });
    expect((await get(`projects/1/repository/tree?ref=${sha}&path=../x`)).status).toBe(400);
  });
});

describe('fake-gitlab: webhook payloads', () => {
  const project = {
    id: 7,
    pathWithNamespace: 'ops/deployments',
    defaultBranch: 'main',
    webUrl: 'http://gitlab.test/ops/deployments',
  };
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);

  it('builds push, branch deletion, tag and merge request events as GitLab documents them', () => {
    const push = pushHook(project, { branch: 'main', before: A, after: B });
    expect(push.event).toBe('Push Hook');
    expect(push.body).toMatchObject({
      object_kind: 'push',
      before: A,
      after: B,
      ref: 'refs/heads/main',
      checkout_sha: B,
      project: { id: 7, path_with_namespace: 'ops/deployments', default_branch: 'main' },
    });
    const deletion = branchDeletionHook(project, { branch: 'feature', before: A });
    expect(deletion.event).toBe('Push Hook');
    expect(deletion.body).toMatchObject({ after: ZERO_SHA, checkout_sha: null, ref: 'refs/heads/feature' });
    const tag = tagPushHook(project, { tag: 'v1', sha: B });
    expect(tag.event).toBe('Tag Push Hook');
    expect(tag.body).toMatchObject({ object_kind: 'tag_push', ref: 'refs/tags/v1', checkout_sha: B });
    const mr = mergeRequestHook(project, {
      iid: 3,
      sourceBranch: 'suggest/x',
      action: 'merge',
      lastCommit: A,
    });
    expect(mr.event).toBe('Merge Request Hook');
    expect(mr.body).toMatchObject({
      object_kind: 'merge_request',
      object_attributes: {
        iid: 3,
        source_branch: 'suggest/x',
        target_branch: 'main',
        state: 'merged',
        action: 'merge',
      },
    });
  });

  it('sendWebhook POSTs JSON with X-Gitlab-Event and X-Gitlab-Token', async () => {
    const seen: Array<{ headers: Record<string, unknown>; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const hook = pushHook(project, { branch: 'main', after: B });
      const answer = await sendWebhook(`http://127.0.0.1:${port}/trigger`, hook, {
        token: 'secret-token-123456',
      });
      expect(answer).toEqual({ status: 202, body: '{"ok":true}' });
      expect(seen[0]?.headers['x-gitlab-event']).toBe('Push Hook');
      expect(seen[0]?.headers['x-gitlab-token']).toBe('secret-token-123456');
      expect(seen[0]?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual(hook.body);
    } finally {
      server.close();
    }
  });
});
