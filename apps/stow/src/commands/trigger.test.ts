import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

const SHA = 'c0ffee'.padEnd(40, '1');
let dir: string;
let server: Server;
let base: string;
let caFile: string;
const seen: Array<{ url: string; authorization: string | undefined }> = [];
let answers: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stow-cli-trigger-'));
  const tls = selfSignedCertificate(dir);
  caFile = tls.certFile;
  server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const status = answers.shift() ?? 202;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        status === 202 ? { state: 'queued' } : { error: 'head_hash is not on the default branch' },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('stow trigger', () => {
  it('--url --head-hash: 202 is exit 0; the token comes from STOW_TRIGGER_TOKEN and is never printed', async () => {
    seen.length = 0;
    const result = await runCli(['trigger', '--url', `${base}/`, '--head-hash', SHA], dir, {
      STOW_CACERT: caFile,
      STOW_TRIGGER_TOKEN: 'trigger-secret',
    });
    expect(result).toEqual({
      code: 0,
      stdout: `triggered ${base}/trigger?head_hash=${SHA}: HTTP 202 (state queued) after 1 attempt\n`,
      stderr: '',
    });
    expect(seen).toEqual([{ url: `/trigger?head_hash=${SHA}`, authorization: 'Bearer trigger-secret' }]);
  });

  it('retries a 503, and a 422 is final: exit 2 naming URL, status and attempts', async () => {
    answers = [503, 422];
    seen.length = 0;
    const result = await runCli(
      ['trigger', '--url', base, '--head-hash', SHA, '--max-delay', '0.05', '--token', 'flag-secret'],
      dir,
      {
        STOW_CACERT: caFile,
      },
    );
    expect(result.code).toBe(2);
    expect(seen).toHaveLength(2);
    expect(result.stderr).toMatch(
      /attempt 1 failed \(HTTP 503: head_hash is not on the default branch\); retrying in \d+ ms\n/,
    );
    expect(result.stderr).toContain(
      `stow trigger: POST ${base}/trigger?head_hash=${SHA}: the daemon refused the trigger: HTTP 422: head_hash is not on the default branch (attempt 2; not retried)\n`,
    );
    expect(result.stderr).not.toContain('flag-secret');
  });

  it('--changed-since triggers the changed deployments with HEAD', async () => {
    const repo = path.join(dir, 'deploy-repo');
    mkdirSync(path.join(repo, 'host-a'), { recursive: true });
    mkdirSync(path.join(repo, 'host-b'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@stow.invalid');
    git('config', 'user.name', 't');
    writeFileSync(
      path.join(repo, 'host-a/stow.yaml'),
      `deployment: { name: a, daemonBaseUrl: "${base}/" }\n`,
    );
    writeFileSync(path.join(repo, 'host-b/stow.yaml'), 'deployment: { name: b }\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
    const before = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'host-a/app.env'), 'A=1\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'two');
    const head = git('rev-parse', 'HEAD');
    seen.length = 0;
    const result = await runCli(['trigger', '--changed-since', before], repo, { STOW_CACERT: caFile });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `head ${head}: deployments changed since ${before.slice(0, 12)}\n  host-a: triggered ${base}/trigger?head_hash=${head}: HTTP 202 (state queued) after 1 attempt\n`,
    );
    const all = await runCli(['trigger', '--changed-since', '0'.repeat(40)], repo, { STOW_CACERT: caFile });
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('  host-b: skipped: host-b/stow.yaml has no deployment.daemonBaseUrl\n');
  });

  it('usage errors exit 2', async () => {
    for (const [args, message] of [
      [['trigger'], /missing --url URL \(or --changed-since SHA\)/],
      [['trigger', '--url', base], /missing --head-hash SHA/],
      [
        ['trigger', '--url', base, '--head-hash', SHA, '--changed-since', SHA],
        /either --changed-since or --url/,
      ],
      [['trigger', '--url', 'http://h/', '--head-hash', SHA], /must be https/],
      [['trigger', '--url', base, '--head-hash', SHA, '--attempts', '0'], /--attempts "0"/],
    ] as Array<[string[], RegExp]>) {
      const result = await runCli(args, dir, {});
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
