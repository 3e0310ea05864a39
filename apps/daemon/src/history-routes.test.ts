import type { HistoryEntry, HistoryLogs } from '@stow/reconciler';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

const HEAD = sha('2');
const TOKEN = 'history-trigger-token-s3cr3t';
const FAILED_ID = '0123456789ab';

function entry(id: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id,
    trigger: 'poll',
    started_at: '2026-01-02T03:04:05.000Z',
    finished_at: '2026-01-02T03:04:35.000Z',
    outcome: 'converged',
    count: 1,
    git_revision: HEAD,
    deployment_hash: hash('b'),
    step: null,
    reason: null,
    actions: [{ container: 'web', action: 'replace', reason: 'image changed' }],
    jobs: [],
    failed_containers: [],
    ...overrides,
  };
}

const ROLLED_BACK = entry(FAILED_ID, {
  trigger: 'trigger',
  outcome: 'rolledBack',
  step: 'verify',
  reason: 'verify: web exited with code 1',
  jobs: [{ job: 'migrate', when: 'beforeApply', outcome: 'succeeded', exit_code: 0, duration_ms: 1200 }],
  failed_containers: [{ name: 'web', exit_code: 1, oom_killed: false, health: 'unhealthy', has_logs: true }],
});

const LOGS: HistoryLogs = {
  id: FAILED_ID,
  containers: [
    {
      name: 'web',
      exit_code: 1,
      oom_killed: false,
      log_lines: ['starting', 'password=[REDACTED]', 'fatal: cannot connect'],
      health_outputs: ['curl: (7) connection refused'],
    },
  ],
};

/** A repository whose history holds 60 entries, newest first: a rollback, then noops and deploys. */
function repository() {
  const backend = new FakeBackend({ [HEAD]: { deploymentHash: hash('b') } }, HEAD);
  backend.historyEntries.push(ROLLED_BACK);
  for (let n = 1; n < 60; n += 1) {
    const id = n.toString(16).padStart(12, '0');
    backend.historyEntries.push(entry(id, n % 2 ? { count: n, actions: [] } : {}));
  }
  backend.forensics.set(FAILED_ID, LOGS);
  return backend;
}

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()?.close();
});
async function setup(options: Parameters<typeof buildTestApp>[1] & { backend?: FakeBackend } = {}) {
  const backend = options.backend ?? repository();
  const built = await buildTestApp(backend, options);
  apps.push(built.app);
  return { backend, ...built };
}

describe('GET /history', () => {
  it('answers the newest 50 entries, newest first, in the HistoryEntry shape, never cached', async () => {
    const { app, backend } = await setup();
    const response = await app.inject({ url: '/history' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    const { entries } = response.json() as { entries: HistoryEntry[] };
    expect(entries).toHaveLength(50);
    expect(entries).toEqual(backend.historyEntries.slice(0, 50));
    expect(entries[0]).toEqual(ROLLED_BACK);
    expect(Object.keys(response.json())).toEqual(['entries']);
  });

  it('?limit=N answers that many, up to 1000', async () => {
    const { app, backend } = await setup();
    const two = (await app.inject({ url: '/history?limit=2' })).json() as { entries: HistoryEntry[] };
    expect(two.entries.map((e) => e.id)).toEqual([FAILED_ID, '000000000001']);
    const all = (await app.inject({ url: '/history?limit=1000' })).json() as { entries: HistoryEntry[] };
    expect(all.entries).toEqual(backend.historyEntries);
  });

  it('sends only the fields of the wire shape, with the daemon secrets redacted from reasons', async () => {
    const backend = repository();
    backend.historyEntries.unshift({
      ...entry('aaaaaaaaaaaa', { outcome: 'failed', step: 'fetch', reason: `GitLab said ${TOKEN}` }),
      internal: 'not for the wire',
    } as HistoryEntry);
    const { app } = await setup({ backend, token: TOKEN });
    const response = await app.inject({ url: '/history?limit=1' });
    expect(response.json()).toEqual({
      entries: [
        entry('aaaaaaaaaaaa', { outcome: 'failed', step: 'fetch', reason: 'GitLab said [REDACTED]' }),
      ],
    });
    expect(response.body).not.toContain(TOKEN);
  });

  it('answers an empty list when the history is empty, and when the backend keeps none', async () => {
    const empty = new FakeBackend({ [HEAD]: { deploymentHash: hash('b') } }, HEAD);
    expect((await (await setup({ backend: empty })).app.inject({ url: '/history' })).json()).toEqual({
      entries: [],
    });
    const without = new FakeBackend({ [HEAD]: { deploymentHash: hash('b') } }, HEAD);
    Object.defineProperty(without, 'history', { value: undefined });
    const response = await (await setup({ backend: without })).app.inject({ url: '/history' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ entries: [] });
  });

  it.each([
    ['not an integer', 'limit=ten', 'querystring.limit: must be an integer from 1 to 1000'],
    ['a fraction', 'limit=2.5', 'querystring.limit: must be an integer from 1 to 1000'],
    ['negative', 'limit=-1', 'querystring.limit: must be an integer from 1 to 1000'],
    ['zero', 'limit=0', 'querystring.limit: must be an integer from 1 to 1000'],
    ['above 1000', 'limit=1001', 'querystring.limit: must be an integer from 1 to 1000'],
    ['huge', `limit=${'9'.repeat(30)}`, 'querystring.limit: must be an integer from 1 to 1000'],
    ['empty', 'limit=', 'querystring.limit: must be an integer from 1 to 1000'],
    ['repeated', 'limit=1&limit=2', 'querystring.limit: must be given once'],
  ])('400 for a limit that is %s, naming the parameter', async (_name, query, message) => {
    const { app } = await setup();
    const response = await app.inject({ url: `/history?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: message, code: 'FST_ERR_VALIDATION' });
  });

  it("takes one of the client's tokens per request, like new commits on /status: 429 with Retry-After", async () => {
    const { app } = await setup({ core: { clientLimit: { perMinute: 1, burst: 2 } } });
    expect((await app.inject({ url: '/history', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/history', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    const limited = await app.inject({ url: '/history', remoteAddress: '10.0.0.1' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.json().error).toMatch(
      /^too many history requests came from 10\.0\.0\.1; ask again in \d+ s$/,
    );
    // Another client has its own bucket.
    expect((await app.inject({ url: '/history', remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
  });
});

describe('GET /history/<id>/logs', () => {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('answers the forensics with the trigger token as Bearer, never cached', async () => {
    const { app } = await setup({ token: TOKEN });
    const response = await app.inject({ url: `/history/${FAILED_ID}/logs`, headers: bearer(TOKEN) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual(LOGS);
  });

  it('401 with WWW-Authenticate without the token, with a wrong one, or with X-Gitlab-Token; never echoes it', async () => {
    const { app, log } = await setup({ token: TOKEN });
    const attempts: Record<string, string>[] = [
      {},
      bearer('wrong-token'),
      bearer(`${TOKEN}x`),
      { authorization: TOKEN },
      { 'x-gitlab-token': TOKEN },
    ];
    for (const headers of attempts) {
      // A bad id too: without the token nothing else is looked at.
      for (const id of [FAILED_ID, 'NOT-AN-ID']) {
        const response = await app.inject({ url: `/history/${id}/logs`, headers });
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="stow"');
        expect(response.json()).toEqual({
          error: 'missing or wrong trigger token (Authorization: Bearer)',
          code: 'UNAUTHORIZED',
        });
        expect(response.body).not.toContain(TOKEN);
      }
    }
    expect(log.text()).not.toContain(TOKEN);
  });

  it('404 for every request when no triggerToken is configured, like any unknown path', async () => {
    const { app } = await setup();
    for (const headers of [{}, bearer(TOKEN), bearer('')]) {
      for (const id of [FAILED_ID, 'zz']) {
        const response = await app.inject({ url: `/history/${id}/logs`, headers });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toEqual({ error: `no route GET /history/${id}/logs`, code: 'NOT_FOUND' });
        expect(response.headers['cache-control']).toBeUndefined();
      }
    }
    const unknown = await app.inject({ url: '/history/0123456789ab/other' });
    expect(unknown.json()).toEqual({ error: 'no route GET /history/0123456789ab/other', code: 'NOT_FOUND' });
  });

  it.each([
    ['uppercase', FAILED_ID.toUpperCase()],
    ['too short', FAILED_ID.slice(1)],
    ['too long', `${FAILED_ID}0`],
    ['not hex', 'zzzzzzzzzzzz'],
  ])('400 for an id that is %s, naming the parameter', async (_name, id) => {
    const { app } = await setup({ token: TOKEN });
    const response = await app.inject({ url: `/history/${id}/logs`, headers: bearer(TOKEN) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'params.id: must be a history id of 12 lowercase hex digits',
      code: 'FST_ERR_VALIDATION',
    });
  });

  it('404 for an unknown id and for an entry without forensics', async () => {
    const { app } = await setup({ token: TOKEN });
    for (const id of ['ffffffffffff', '000000000002']) {
      const response = await app.inject({ url: `/history/${id}/logs`, headers: bearer(TOKEN) });
      expect(response.statusCode).toBe(404);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toEqual({
        error: `history entry ${id} is unknown or has no captured logs`,
        code: 'NOT_FOUND',
      });
    }
  });

  it('redacts the daemon secrets from log lines as a last line of defence', async () => {
    const backend = repository();
    backend.forensics.set(FAILED_ID, {
      id: FAILED_ID,
      containers: [
        {
          name: 'web',
          exit_code: null,
          oom_killed: true,
          log_lines: [`token ${TOKEN}`],
          health_outputs: [TOKEN],
        },
      ],
    });
    const { app } = await setup({ backend, token: TOKEN });
    const response = await app.inject({ url: `/history/${FAILED_ID}/logs`, headers: bearer(TOKEN) });
    expect(response.json()).toEqual({
      id: FAILED_ID,
      containers: [
        {
          name: 'web',
          exit_code: null,
          oom_killed: true,
          log_lines: ['token [REDACTED]'],
          health_outputs: ['[REDACTED]'],
        },
      ],
    });
  });
});
