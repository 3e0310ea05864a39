import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DaemonConfig, Secret } from '@stow/manifest';
import { selfSignedCertificate, type TestCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError } from './errors.js';
import type { LockdownFs } from './lockdown.js';
import { jsonLinesLogger, silentLogger } from './logger.js';
import { runDaemon, startServer } from './server.js';
import { testDaemonConfig } from './test-support/daemon-config.js';
import { captureLog, FakeBackend, hash, sha } from './test-support/fake-backend.js';
import { httpsRequest } from './test-support/https-request.js';

const HEAD = sha('2');
const TOKEN = 'a-trigger-token-that-is-long-enough';
const dir = mkdtempSync(path.join(tmpdir(), 'stow-daemon-https-'));
let tls: TestCertificate;
beforeAll(async () => {
  tls = selfSignedCertificate(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backend = () => new FakeBackend({ [HEAD]: { deploymentHash: hash('b') } }, HEAD);

function config(overrides: Partial<DaemonConfig> = {}): DaemonConfig {
  return testDaemonConfig(dir, tls, { pollIntervalMs: 60_000, ...overrides });
}

/** A lockdown view in which everything is root-owned with the right modes. */
const lockedDown: LockdownFs = {
  async lstat(file) {
    const isDir = !path.extname(file);
    return {
      uid: 0,
      mode: isDir ? 0o500 : 0o400,
      isFile: () => !isDir,
      isDirectory: () => isDir,
      isSymbolicLink: () => false,
      isFIFO: () => false,
      isSocket: () => false,
      isBlockDevice: () => false,
      isCharacterDevice: () => false,
    };
  },
  readdir: async () => [],
};

describe('the HTTPS server', () => {
  it('serves the API over TLS on 127.0.0.1:0 and reconciles once at start', async () => {
    const fake = backend();
    const daemon = await startServer({ config: config(), backend: fake, logger: silentLogger });
    try {
      expect(daemon.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const health = await httpsRequest(`${daemon.url}/healthz`, { ca: tls.cert });
      expect(health.statusCode).toBe(200);
      expect(JSON.parse(health.body).status).toBe('ok');
      await daemon.core.idle();
      expect(fake.requests.map((r) => r.trigger)).toEqual(['start']);
      const status = await httpsRequest(`${daemon.url}/status?head_hash=${HEAD}`, { ca: tls.cert });
      expect(JSON.parse(status.body).state).toBe('running');
      const badge = await httpsRequest(`${daemon.url}/gitlab.svg?git_hash=${HEAD}`, { ca: tls.cert });
      expect(badge.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
      expect(badge.body).toContain('>running</text>');
      // Plain HTTP is not served: the TLS server hangs up on it.
      const port = new URL(daemon.url).port;
      await expect(
        new Promise((resolve, reject) => {
          http.get(`http://127.0.0.1:${port}/healthz`, resolve).on('error', reject);
        }),
      ).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      await daemon.close();
    }
  });

  it('refuses to start without tlsCrt/tlsKey or with an unreadable key', async () => {
    await expect(
      startServer({ config: config({ tls: undefined }), backend: backend(), logger: silentLogger }),
    ).rejects.toThrow(/tlsCrt and tlsKey are required; the daemon serves HTTPS only/);
    const missing = config({ tls: { certFile: tls.certFile, keyFile: path.join(dir, 'missing.key') } });
    await expect(startServer({ config: missing, backend: backend(), logger: silentLogger })).rejects.toThrow(
      /tlsKey .*missing\.key cannot be read/,
    );
  });

  it('SIGTERM-style close: no new connections, the reconcile in progress finishes first', async () => {
    const fake = backend();
    fake.reconcileMs = 600;
    const log = captureLog();
    const daemon = await startServer({ config: config(), backend: fake, logger: jsonLinesLogger(log.write) });
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await daemon.close('SIGTERM');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(daemon.core.reconcileReport()).toMatchObject({ state: 'finished', outcome: 'converged' });
    await expect(httpsRequest(`${daemon.url}/healthz`, { ca: tls.cert })).rejects.toThrow(/ECONNREFUSED/);
    const messages = log.lines.map((line) => JSON.parse(line).msg);
    expect(messages.indexOf('reconcile finished')).toBeLessThan(messages.indexOf('stopped'));
  });
});

describe('runDaemon', () => {
  it('checks the lockdown before anything else, reporting every path', async () => {
    const loose: LockdownFs = {
      ...lockedDown,
      async lstat(file) {
        return { ...(await lockedDown.lstat(file)), mode: 0o755, uid: 1000 };
      },
    };
    const error = await runDaemon({
      configFile: '/nonexistent/stow/daemon.yaml',
      lockdownFs: loose,
      handleSignals: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).code).toBe('LOCKDOWN');
    expect((error as DaemonError).message).toContain(
      '/nonexistent/stow: is owned by uid 1000; must be owned by root (uid 0); has mode 0755; directories must be mode 0500',
    );
  });

  it('runs from daemon.yaml over HTTPS; the trigger token never reaches the log or a response', async () => {
    const configFile = path.join(dir, 'daemon.yaml');
    writeFileSync(
      configFile,
      // daemon.yaml refuses port 0 (listen is 1-65535): take a port that is free now.
      `gitRepository: ./repo\nsubfolder: host\nlisten: 127.0.0.1:${await freePort()}\ntlsCrt: tls.crt\ntlsKey: tls.key\npollInterval: 1h\ntriggerToken: ${TOKEN}\n`,
    );
    const log = captureLog();
    const fake = backend();
    const daemon = await runDaemon({
      configFile,
      lockdownFs: lockedDown,
      handleSignals: false,
      write: log.write,
      createBackend: async (loaded) => {
        expect(loaded.triggerToken).toBeInstanceOf(Secret);
        return fake;
      },
    });
    try {
      const url = `${daemon.url}/trigger?head_hash=${HEAD}`;
      const denied = await httpsRequest(url, {
        ca: tls.cert,
        method: 'POST',
        headers: { authorization: 'Bearer wrong' },
      });
      expect(denied.statusCode).toBe(401);
      const accepted = await httpsRequest(url, {
        ca: tls.cert,
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(accepted.statusCode).toBe(202);
      const hook = await httpsRequest(`${daemon.url}/trigger`, {
        ca: tls.cert,
        method: 'POST',
        headers: { 'x-gitlab-token': TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ object_kind: 'push', checkout_sha: HEAD, note: TOKEN }),
      });
      expect(hook.statusCode).toBe(202);
      await daemon.core.idle();
      for (const answer of [denied, accepted, hook]) expect(answer.body).not.toContain(TOKEN);
      const lines = log.lines.map((line) => JSON.parse(line));
      expect(lines.some((line) => line.msg === 'trigger accepted')).toBe(true);
      expect(lines.some((line) => line.msg === 'request failed' && line.status === 401)).toBe(true);
      expect(lines.filter((line) => line.reconcile_id).length).toBeGreaterThan(0);
      expect(log.text()).not.toContain(TOKEN);
    } finally {
      await daemon.close();
    }
  });
});

/** A TCP port on 127.0.0.1 that nothing listens on at the moment. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
