import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DaemonConfig, Secret } from '@stow/manifest';
import { freePort } from '@stow/test-host/net';
import { selfSignedCertificate, type TestCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError } from './errors.js';
import { jsonLinesLogger, silentLogger } from './logger.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { type ConnectionLimits, type RunningDaemon, runDaemon, startServer } from './server.js';
import { testDaemonConfig } from './test-support/daemon-config.js';
import { captureLog, FakeBackend, hash, sha } from './test-support/fake-backend.js';
import { httpsRequest } from './test-support/https-request.js';
import { closedBy, tlsSocket } from './test-support/tls-socket.js';

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

/**
 * A locked-down config directory as the daemon demands (root-owned, 0500, files 0400) holding
 * daemon.yaml and the TLS pair. The tests run as root, like the daemon.
 */
function lockedConfigDir(name: string, daemonYaml: string): string {
  const configDir = path.join(dir, name);
  mkdirSync(configDir, { mode: 0o700 });
  for (const [file, content] of Object.entries({
    'daemon.yaml': daemonYaml,
    'tls.crt': tls.cert,
    'tls.key': tls.key,
  })) {
    writeFileSync(path.join(configDir, file), content, { mode: 0o400 });
  }
  chmodSync(configDir, 0o500);
  return path.join(configDir, 'daemon.yaml');
}

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
      /tlsKey in .*:\n {2}.*missing\.key: cannot be opened \(ENOENT\)/,
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

describe('an open port that cannot be exhausted', () => {
  /** Short windows so that the tests wait little; the defaults are 256 connections, 10 s idle, 25 s headers. */
  const limits: Partial<ConnectionLimits> = {
    maxConnections: 4,
    idleTimeoutMs: 300,
    headersTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
  };
  /** Runs `use` against a started server (no reconciles) and closes it whatever happens. */
  async function withServer(
    use: (daemon: RunningDaemon) => Promise<void>,
    options: { fake?: FakeBackend; limits?: Partial<ConnectionLimits> } = {},
  ): Promise<void> {
    const daemon = await startServer({
      config: config(),
      backend: options.fake ?? backend(),
      logger: silentLogger,
      limits: options.limits ?? limits,
      reconcile: false,
    });
    try {
      await use(daemon);
    } finally {
      await daemon.close();
    }
  }

  it('drops connections beyond maxConnections and accepts again once one closes', async () => {
    // Default idle timeouts here: the held connections must stay open while the fifth is refused.
    await withServer(
      async (daemon) => {
        const held = await Promise.all([1, 2, 3, 4].map(() => tlsSocket(daemon.url, tls.cert)));
        await expect(tlsSocket(daemon.url, tls.cert)).rejects.toThrow();
        const gone = held.pop();
        gone?.destroy();
        // The server counts the closed connection out asynchronously: retry until it has.
        let again: Awaited<ReturnType<typeof tlsSocket>> | undefined;
        while (!again) again = await tlsSocket(daemon.url, tls.cert).catch(() => undefined);
        held.push(again);
        for (const socket of held) socket.destroy();
      },
      { limits: { maxConnections: 4 } },
    );
  });

  it('closes a TLS connection that never sends a request, and a TCP one that never starts TLS', async () => {
    await withServer(async (daemon) => {
      const silent = await tlsSocket(daemon.url, tls.cert);
      expect(await closedBy(silent)).toBe('');
      const raw = net.connect(Number(new URL(daemon.url).port), '127.0.0.1');
      expect(await closedBy(raw)).toBe('');
    });
  });

  it('closes a kept-alive connection after its answer once it is idle', async () => {
    await withServer(async (daemon) => {
      const socket = await tlsSocket(daemon.url, tls.cert);
      const received = closedBy(socket);
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
      expect(await received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*"status":"ok"/);
    });
  });

  it('answers 408 and closes when the headers trickle in too slowly', async () => {
    await withServer(async (daemon) => {
      const socket = await tlsSocket(daemon.url, tls.cert);
      const received = closedBy(socket);
      socket.write('GET /healthz HTTP/1.1\r\n');
      // One header line every 100 ms: never idle for 300 ms, never done.
      const trickle = setInterval(() => socket.write('X-Slow: yes\r\n'), 100);
      try {
        expect(await received).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
      } finally {
        clearInterval(trickle);
      }
    });
  });

  it('does not cut a request being answered for longer than the idle timeout', async () => {
    const fake = backend();
    fake.resolveMs = 1_000;
    await withServer(
      async (daemon) => {
        const status = await httpsRequest(`${daemon.url}/status?head_hash=${HEAD}`, { ca: tls.cert });
        expect(status.statusCode).toBe(200);
        expect(fake.resolveDeploymentCalls).toBe(1);
      },
      { fake },
    );
  });

  it('sends the security headers over HTTPS too', async () => {
    await withServer(async (daemon) => {
      const page = await httpsRequest(`${daemon.url}/status`, {
        ca: tls.cert,
        headers: { accept: 'text/html' },
      });
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(page.headers[name]).toBe(value);
    });
  });
});

describe('runDaemon', () => {
  it('checks the lockdown before anything else, reporting every path', async () => {
    const configFile = lockedConfigDir('loose', 'subfolder: host\n');
    chmodSync(path.dirname(configFile), 0o755);
    const error = await runDaemon({ configFile, handleSignals: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).code).toBe('LOCKDOWN');
    expect((error as DaemonError).message).toContain(
      `  ${path.dirname(configFile)}: has mode 0755; directories must be mode 0500`,
    );
  });

  it('runs from daemon.yaml over HTTPS; the trigger token never reaches the log or a response', async () => {
    const configFile = lockedConfigDir(
      'with-token',
      // daemon.yaml refuses port 0 (listen is 1-65535): take a port that is free now.
      `gitRepository: ./repo\nsubfolder: host\nlisten: 127.0.0.1:${await freePort()}\ntlsCrt: tls.crt\ntlsKey: tls.key\npollInterval: 1h\ntriggerToken: ${TOKEN}\n`,
    );
    const log = captureLog();
    const fake = backend();
    const daemon = await runDaemon({
      configFile,
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
      expect(log.text()).not.toContain('no triggerToken');
    } finally {
      await daemon.close();
    }
  });

  it('warns at start that anyone who reaches listen can trigger reconciles when there is no triggerToken', async () => {
    const port = await freePort();
    const configFile = lockedConfigDir(
      'without-token',
      `gitRepository: ./repo\nsubfolder: host\nlisten: 127.0.0.1:${port}\ntlsCrt: tls.crt\ntlsKey: tls.key\n`,
    );
    const log = captureLog();
    const daemon = await runDaemon({
      configFile,
      handleSignals: false,
      reconcile: false,
      write: log.write,
      createBackend: async () => backend(),
    });
    try {
      const warning = log.lines.map((line) => JSON.parse(line)).find((line) => line.level === 'warn');
      expect(warning?.msg).toBe(
        `${configFile}: no triggerToken: anyone who can reach 127.0.0.1:${port} can trigger reconciles; set triggerToken (see docs/security.md)`,
      );
    } finally {
      await daemon.close();
    }
  });
});
