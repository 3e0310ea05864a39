import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

const OLD = sha('1');
const HEAD = sha('2');
const BRANCH = sha('3');
const TOKEN = 'trigger-token-s3cr3t-value';

function repository() {
  return new FakeBackend(
    {
      [OLD]: { deploymentHash: hash('a') },
      [HEAD]: { deploymentHash: hash('b') },
      [BRANCH]: { deploymentHash: hash('c'), onDefaultBranch: false },
    },
    HEAD,
  );
}

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()?.close();
});
async function setup(options: { token?: string; backend?: FakeBackend } = {}) {
  const backend = options.backend ?? repository();
  const built = await buildTestApp(backend, options);
  apps.push(built.app);
  return { backend, ...built };
}

describe('POST /trigger', () => {
  it('answers 202 with the state of head_hash and reconciles to the default branch head', async () => {
    const { app, core, backend } = await setup();
    const response = await app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD.slice(0, 8)}` });
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ head_hash: HEAD, expected_deployment_hash: hash('b') });
    expect(['reconciling', 'running']).toContain(body.state);
    await core.idle();
    expect(backend.requests.map((r) => [r.trigger, r.revision])).toEqual([['trigger', HEAD]]);
    const after = await app.inject({ url: `/status?head_hash=${HEAD}` });
    expect(after.json()).toMatchObject({
      state: 'running',
      running_deployment_hash: hash('b'),
      running_git_revision: HEAD,
      reconcile: {
        outcome: 'converged',
        state: 'finished',
        target_git_revision: HEAD,
        target_deployment_hash: hash('b'),
      },
    });
  });

  it.each([
    ['too short', 'abc12'],
    ['not hex', 'g'.repeat(40)],
    ['too long', 'a'.repeat(41)],
  ])('400 for a malformed head_hash (%s), naming the parameter', async (_name, value) => {
    const { app, backend } = await setup();
    const response = await app.inject({ method: 'POST', url: `/trigger?head_hash=${value}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'querystring.head_hash: must be a commit sha of 7 to 40 hex digits',
      code: 'FST_ERR_VALIDATION',
    });
    expect(backend.requests).toEqual([]);
  });

  it('400 without head_hash or push-hook body', async () => {
    const { app } = await setup();
    const response = await app.inject({ method: 'POST', url: '/trigger' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/^head_hash is missing/);
  });

  it('404 with state unknown for an unknown commit', async () => {
    const { app, backend } = await setup();
    const response = await app.inject({ method: 'POST', url: `/trigger?head_hash=${sha('9')}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ head_hash: sha('9'), state: 'unknown' });
    expect(backend.requests).toEqual([]);
  });

  it('422 for a commit that is not on the default branch: nothing is reconciled', async () => {
    const { app, core, backend } = await setup();
    const response = await app.inject({ method: 'POST', url: `/trigger?head_hash=${BRANCH}` });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      error: `head_hash ${BRANCH} is not on the default branch; only merged commits can be deployed`,
      code: 'NOT_ON_DEFAULT_BRANCH',
    });
    await core.idle();
    expect(backend.requests).toEqual([]);
  });

  it('accepts a GitLab push-hook payload (checkout_sha, else after)', async () => {
    const { app, core, backend } = await setup();
    const hook = {
      object_kind: 'push',
      ref: 'refs/heads/main',
      before: OLD,
      after: HEAD,
      checkout_sha: HEAD,
      commits: [],
    };
    const response = await app.inject({ method: 'POST', url: '/trigger', payload: hook });
    expect(response.statusCode).toBe(202);
    expect(response.json().head_hash).toBe(HEAD);
    const afterOnly = await app.inject({ method: 'POST', url: '/trigger', payload: { after: OLD } });
    expect(afterOnly.statusCode).toBe(202);
    expect(afterOnly.json().head_hash).toBe(OLD);
    const badHook = await app.inject({ method: 'POST', url: '/trigger', payload: { checkout_sha: 'zz' } });
    expect(badHook.statusCode).toBe(400);
    await core.idle();
    expect(backend.requests.every((r) => r.revision === HEAD)).toBe(true);
  });

  it('401 without or with a wrong token; Bearer and X-Gitlab-Token both work; the token never leaks', async () => {
    const { app, core, log } = await setup({ token: TOKEN });
    const url = `/trigger?head_hash=${HEAD}`;
    const missing = await app.inject({ method: 'POST', url });
    const wrong = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${TOKEN}x` } });
    const wrongGitlab = await app.inject({ method: 'POST', url, headers: { 'x-gitlab-token': 'nope' } });
    for (const response of [missing, wrong, wrongGitlab]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="stow"');
      expect(response.json().code).toBe('UNAUTHORIZED');
    }
    const bearer = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${TOKEN}` } });
    const gitlab = await app.inject({ method: 'POST', url, headers: { 'x-gitlab-token': TOKEN } });
    expect(bearer.statusCode).toBe(202);
    expect(gitlab.statusCode).toBe(202);
    await core.idle();
    const everything =
      [missing, wrong, wrongGitlab, bearer, gitlab].map((r) => r.body).join('\n') + log.text();
    expect(log.lines.length).toBeGreaterThan(3);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(TOKEN.slice(0, 12));
  });
});

describe('GET /status', () => {
  it('without head_hash: the state of the default branch head', async () => {
    const { app } = await setup();
    const response = await app.inject({ url: '/status' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({
      head_hash: HEAD,
      state: 'different',
      expected_deployment_hash: hash('b'),
      running_deployment_hash: null,
      running_git_revision: null,
      reconcile: null,
    });
  });

  it('400 for a malformed hash, 404 unknown', async () => {
    const { app } = await setup();
    expect((await app.inject({ url: '/status?head_hash=xyz' })).statusCode).toBe(400);
    const unknown = await app.inject({ url: `/status?head_hash=${'f'.repeat(12)}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      state: 'unknown',
      head_hash: 'f'.repeat(12),
      expected_deployment_hash: null,
    });
  });

  it('error with the reason when the last attempt at the deployment failed', async () => {
    const { app, core, backend } = await setup();
    backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'web' };
    backend.failing.set(hash('b'), 'web: unhealthy');
    await app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD}` });
    await core.idle();
    const response = await app.inject({ url: `/status?head_hash=${HEAD}` });
    expect(response.json()).toMatchObject({
      state: 'error',
      error: 'web: unhealthy',
      running_deployment_hash: hash('a'),
      reconcile: { outcome: 'rolledBack', reason: 'web: unhealthy', jobs: [] },
    });
    expect((await app.inject({ url: `/status?head_hash=${OLD}` })).json().state).toBe('running');
  });

  it('the job runs of the last reconcile, with their duration and exit code', async () => {
    const { app, core, backend } = await setup();
    backend.failing.set(hash('b'), 'job migrate (beforeApply) did not finish within 5 s and was killed');
    backend.jobRuns.set(hash('b'), [
      { job: 'migrate', when: 'beforeApply', outcome: 'timedOut', exitCode: undefined, durationMs: 5002 },
    ]);
    await app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD}` });
    await core.idle();
    expect((await app.inject({ url: `/status?head_hash=${HEAD}` })).json().reconcile).toMatchObject({
      outcome: 'rolledBack',
      jobs: [
        { job: 'migrate', when: 'beforeApply', outcome: 'timedOut', exit_code: null, duration_ms: 5002 },
      ],
    });
  });

  it('a readable HTML page with Accept: text/html, everything escaped', async () => {
    const { app, core, backend } = await setup();
    backend.failing.set(hash('b'), '<script>alert("x")</script> & more');
    await app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD}` });
    await core.idle();
    const response = await app.inject({
      url: `/status?head_hash=${HEAD}`,
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<span class="state" id="state">error</span>');
    expect(response.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(response.body).not.toContain('<script>');
    expect(response.body).toContain(HEAD);
    expect(response.body).toContain(hash('b'));
  });

  it('a source that cannot be reached: 503 without details', async () => {
    const { app, backend } = await setup();
    backend.resolveCommit = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:443 internal detail');
    };
    const response = await app.inject({ url: `/status?head_hash=${HEAD}` });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      error: 'the deployment repository cannot be reached; see the daemon log',
      code: 'SOURCE_UNAVAILABLE',
    });
  });
});

describe('GET /gitlab.svg', () => {
  it('an SVG badge with no-cache headers, an ETag and 304 on If-None-Match', async () => {
    const { app } = await setup();
    const response = await app.inject({ url: `/gitlab.svg?git_hash=${HEAD}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(new Date(String(response.headers.expires)).getTime()).toBeLessThan(Date.now());
    expect(response.headers['x-stow-state']).toBe('different');
    expect(response.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(response.body).toContain('>stow</text>');
    expect(response.body).toContain('>different</text>');
    const etag = String(response.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({
      url: `/gitlab.svg?git_hash=${HEAD}`,
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    const other = await app.inject({
      url: `/gitlab.svg?git_hash=${HEAD}`,
      headers: { 'if-none-match': '"other"' },
    });
    expect(other.statusCode).toBe(200);
  });

  it('colours per state; unknown commits get a lightgrey unknown badge; malformed is 400', async () => {
    const { app, core } = await setup();
    const unknown = await app.inject({ url: `/gitlab.svg?git_hash=${sha('9')}` });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body).toContain('>unknown</text>');
    expect(unknown.body).toContain('fill="#bbb"');
    await app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD}` });
    await core.idle();
    const running = await app.inject({ url: `/gitlab.svg?git_hash=${HEAD}` });
    expect(running.body).toContain('>running</text>');
    expect(running.body).toContain('fill="#4c1"');
    expect(running.headers.etag).not.toBe(unknown.headers.etag);
    expect((await app.inject({ url: '/gitlab.svg?git_hash=nothex' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/gitlab.svg' })).statusCode).toBe(400);
  });
});

describe('GET /healthz and /metrics', () => {
  it('healthz answers ok', async () => {
    const { app } = await setup();
    const response = await app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', queue_depth: 0 });
  });

  it('metrics in Prometheus text format: outcomes, durations, queue depth, last success, running info', async () => {
    const { app, core, backend } = await setup();
    await app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD}` });
    await core.idle();
    backend.failing.set(hash('a'), 'bad');
    backend.head = OLD;
    await app.inject({ method: 'POST', url: `/trigger?head_hash=${OLD}` });
    await core.idle();
    const response = await app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    expect(text).toContain('# TYPE stow_reconciles_total counter');
    expect(text).toContain('stow_reconciles_total{outcome="converged"} 1');
    expect(text).toContain('stow_reconciles_total{outcome="rolledBack"} 1');
    expect(text).toContain('# TYPE stow_reconcile_duration_seconds histogram');
    expect(text).toMatch(/stow_reconcile_duration_seconds_bucket\{le="\+Inf",outcome="converged"\} 1/);
    expect(text).toContain('stow_reconcile_duration_seconds_count{outcome="rolledBack"} 1');
    expect(text).toContain('stow_reconcile_queue_depth 0');
    const lastSuccess = Number(/^stow_last_success_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    expect(Math.abs(lastSuccess - Date.now() / 1000)).toBeLessThan(60);
    expect(text).toContain(`stow_running_deployment_info{deployment="web",hash="${hash('b')}"} 1`);
    // Every sample line is `name{labels} value`.
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [-+\d.eE]+|NaN$/);
    }
  });

  it('unknown routes: 404 JSON', async () => {
    const { app } = await setup();
    const response = await app.inject({ url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'no route GET /nope', code: 'NOT_FOUND' });
  });
});
