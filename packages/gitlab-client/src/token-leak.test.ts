import { inspect } from 'node:util';
import type { FakeGitlab } from '@stow/fake-gitlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabClient } from './client.js';
import { createGitlabSource } from './gitlab-source.js';
import { fakeRetryEnv, JOB_TOKEN, startFake, TOKEN } from './test-support/fixtures.js';

const SECRET = /SECRET/;

function deepText(value: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || v === undefined) return;
    if (typeof v === 'string') parts.push(v);
    if (typeof v !== 'object' && typeof v !== 'function') return;
    if (seen.has(v)) return;
    seen.add(v);
    if (v instanceof Error) parts.push(v.message, v.stack ?? '');
    for (const key of Reflect.ownKeys(v as object)) {
      try {
        walk((v as Record<string | symbol, unknown>)[key], depth + 1);
      } catch {
        // getters that throw
      }
    }
  };
  walk(value, 0);
  return parts.join('\n');
}

describe('the token never leaks', () => {
  let fake: FakeGitlab;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ fake, cleanup: stop } = await startFake());
    await fake.commitFiles('main', { 'h/stow.yaml': 'a\n' });
  });
  afterAll(async () => stop());

  it('is absent from the client object, its JSON and its inspection', async () => {
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN });
    expect(JSON.stringify(client)).not.toMatch(SECRET);
    expect(inspect(client, { depth: 10, showHidden: true })).not.toMatch(SECRET);
    const source = createGitlabSource({ client, project: 'ops/deployments', subfolder: 'h' });
    expect(source.describe()).not.toMatch(SECRET);
    expect(JSON.stringify(source)).not.toMatch(SECRET);
    await client.close();
  });

  it('is absent from every kind of error (HTTP, retries exhausted, network, timeout)', async () => {
    const errors: unknown[] = [];
    const env = fakeRetryEnv().env;
    const retry = { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 };
    const good = createGitlabClient({
      apiUrl: fake.apiUrl,
      token: TOKEN,
      retry,
      retryEnv: env,
      timeoutMs: 200,
    });
    const wrong = createGitlabClient({ apiUrl: fake.apiUrl, token: 'glpat-SECRET-wrong', retryEnv: env });
    const job = createGitlabClient({
      apiUrl: fake.apiUrl,
      token: JOB_TOKEN,
      tokenKind: 'job',
      retryEnv: env,
    });
    const dead = createGitlabClient({
      apiUrl: 'http://127.0.0.1:9/api/v4',
      token: TOKEN,
      retry,
      retryEnv: env,
    });
    const collect = (p: Promise<unknown>) =>
      p.then(
        (v) => expect.fail(`should have failed: ${JSON.stringify(v)}`),
        (e) => errors.push(e),
      );
    await collect(wrong.getProject('ops/deployments'));
    await collect(job.getProject('ops/deployments'));
    await collect(good.getCommit('ops/deployments', 'deadbeef'));
    // A server echoing the token back in its error body is redacted too.
    fake.injectFault({
      path: 'projects/ops%2Fdeployments',
      status: 500,
      body: { message: `bad token ${TOKEN}` },
      times: 2,
    });
    await collect(good.getProject('ops/deployments'));
    fake.injectFault({ path: 'users', delayMs: 2500, times: 2 });
    await collect(good.findUserByUsername('x'));
    await collect(dead.getProject('ops/deployments'));
    expect(errors).toHaveLength(6);
    for (const e of errors) {
      expect(String(e)).not.toMatch(SECRET);
      expect(JSON.stringify(e)).not.toMatch(SECRET);
      expect(inspect(e, { depth: 20, showHidden: true })).not.toMatch(SECRET);
      expect(deepText(e)).not.toMatch(SECRET);
    }
    expect(String(errors[3])).toContain('[REDACTED]');
    for (const c of [good, wrong, job, dead]) await c.close();
  });
});
