import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';

const workspace = scratch();
const HEAD = 'ab'.repeat(20);
const STATUS = {
  head_hash: HEAD,
  state: 'running',
  expected_deployment_hash: 'c'.repeat(64),
  running_deployment_hash: 'c'.repeat(64),
  running_git_revision: HEAD,
  reconcile: {
    id: '0a1b2c3d4e5f',
    trigger: 'trigger',
    state: 'finished',
    started_at: '2026-01-02T03:04:05.000Z',
    finished_at: '2026-01-02T03:04:35.000Z',
    outcome: 'converged',
    reason: null,
    target_git_revision: HEAD,
    target_deployment_hash: 'c'.repeat(64),
  },
};
let server: https.Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  const { keyFile: key, certFile: cert } = selfSignedCertificate(workspace.dir);
  server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => {
    seen.push(request.url ?? '');
    const known = !request.url?.includes('head_hash=ffffffff');
    response.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(
        known
          ? STATUS
          : {
              ...STATUS,
              state: 'unknown',
              head_hash: 'ffffffff',
              error: 'head_hash ffffffff is not a known commit',
            },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  workspace.cleanup();
});

describe('stow status', () => {
  const env = () => ({ STOW_CACERT: path.join(workspace.dir, 'tls.crt') });

  it('prints the state for people, trusting STOW_CACERT', async () => {
    const result = await runCli(
      ['status', '--url', url, '--head-hash', HEAD.toUpperCase()],
      workspace.dir,
      env(),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(seen.at(-1)).toBe(`/status?head_hash=${HEAD}`);
    expect(result.stdout).toBe(
      [
        `commit     ${HEAD}`,
        'state      running',
        `expected   v1:${'c'.repeat(64)}`,
        `running    v1:${'c'.repeat(64)} at ${HEAD}`,
        'reconcile  0a1b2c3d4e5f (trigger) converged',
        'started    2026-01-02T03:04:05.000Z',
        'finished   2026-01-02T03:04:35.000Z',
        '',
      ].join('\n'),
    );
  });

  it('--json prints the answer; without --head-hash asks for the host state; unknown is still exit 0', async () => {
    const json = await runCli(['status', '--url', `${url}/`, '--json'], workspace.dir, env());
    expect(json.code).toBe(0);
    expect(seen.at(-1)).toBe('/status');
    expect(JSON.parse(json.stdout)).toEqual(STATUS);
    const unknown = await runCli(['status', '--url', url, '--head-hash', 'ffffffff'], workspace.dir, env());
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toMatch(/^state +unknown$/m);
    expect(unknown.stdout).toMatch(/^error +head_hash ffffffff is not a known commit$/m);
  });

  it('exit 2 when the certificate is not trusted or nothing listens; usage errors', async () => {
    const untrusted = await runCli(['status', '--url', url], workspace.dir, {});
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(
      /^stow status: cannot reach https:\/\/127\.0\.0\.1:\d+: .*(self-signed|certificate)/,
    );
    const closed = await runCli(['status', '--url', 'https://127.0.0.1:1'], workspace.dir, env());
    expect(closed.code).toBe(2);
    expect(closed.stderr).toMatch(/ECONNREFUSED/);
    expect((await runCli(['status'], workspace.dir)).stderr).toMatch(/missing --url URL/);
    expect((await runCli(['status', '--url', 'http://x'], workspace.dir)).stderr).toMatch(/https only/);
    expect((await runCli(['status', '--url', url, '--head-hash', 'xyz'], workspace.dir)).stderr).toMatch(
      /--head-hash "xyz" is not a commit sha/,
    );
  });
});
