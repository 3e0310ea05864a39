import { afterAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './security-headers.js';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

const HEAD = sha('2');
const built = buildTestApp(new FakeBackend({ [HEAD]: { deploymentHash: hash('b') } }, HEAD), {
  token: 'a-trigger-token-that-is-long-enough',
});
afterAll(async () => (await built).app.close());

describe('security headers', () => {
  const answers: [
    string,
    { method?: 'GET' | 'POST'; url: string; headers?: Record<string, string> },
    number,
  ][] = [
    ['the HTML status page', { url: `/status?head_hash=${HEAD}`, headers: { accept: 'text/html' } }, 200],
    ['the JSON status', { url: `/status?head_hash=${HEAD}` }, 200],
    ['the badge', { url: `/gitlab.svg?git_hash=${HEAD}` }, 200],
    ['metrics', { url: '/metrics' }, 200],
    ['healthz', { url: '/healthz' }, 200],
    ['a bad request', { url: '/status?head_hash=zz' }, 400],
    ['a refused trigger', { method: 'POST', url: `/trigger?head_hash=${HEAD}` }, 401],
    ['the history', { url: '/history' }, 200],
    ['a bad history limit', { url: '/history?limit=0' }, 400],
    ['refused history logs', { url: '/history/0123456789ab/logs' }, 401],
    ['an unknown route', { url: '/admin' }, 404],
  ];

  it.each(answers)('%s carries CSP, nosniff and no-referrer', async (_name, request, status) => {
    const { app } = await built;
    const response = await app.inject(request);
    expect(response.statusCode).toBe(status);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name]).toBe(value);
  });

  it('allows no script, frame, form, base or image, only the inline style the status page has', async () => {
    const directives = Object.fromEntries(
      CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives).toEqual({
      'default-src': "'none'",
      'style-src': "'unsafe-inline'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
      'form-action': "'none'",
    });
    const { app } = await built;
    const page = (await app.inject({ url: '/status', headers: { accept: 'text/html' } })).body;
    // What the policy would block must not be on the page: no script, no external resource.
    expect(page).not.toMatch(/<script|<iframe|<form|<img|<link|<base|\ssrc=|\sstyle=|\son[a-z]+=/i);
  });
});
