import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';
import { FaultProxy } from './support/proxy.js';

// Case 2. The daemon's dockerHost is a socket that refuses (here a proxy in front of the real socket,
// taken down) when a reconcile starts: nothing changes, the status says the run failed, and the next
// poll, with the socket back, converges.
const socketDir = mkdtempSync(path.join(tmpdir(), 'stow-fault-sock-'));
const proxy = new FaultProxy({ path: path.join(socketDir, 'docker.sock') }, { path: '/var/run/docker.sock' });
let h: FaultHost;
beforeAll(async () => {
  await proxy.up();
  h = await FaultHost.create('socket', { dockerHost: proxy.address, pollInterval: '3s' });
});
afterAll(async () => {
  await proxy.down();
  await h.cleanup();
  rmSync(socketDir, { recursive: true, force: true });
});

it('the Docker socket refuses when the start reconcile runs: nothing changed, retried on the next poll', async () => {
  const v1 = await h.commit({ web: 'http-ok' });
  expect((await h.reconcile()).code).toBe(0);
  const before = await h.containerIds();
  const v2 = await h.commit({ web: 'http-ok-2' });

  await proxy.down();
  const daemon = await h.startDaemon();
  const first = await daemon.finishedRun();
  expect(first.reconcile).toMatchObject({ trigger: 'start', outcome: 'failed' });
  expect(first.reconcile?.reason).toMatch(/docker\.sock|ENOENT|ECONNREFUSED/);
  expect(first.running_deployment_hash).toBe(v1.hash);
  expect(first.state).not.toBe('running');
  expect(await h.containerIds()).toEqual(before);
  expect(h.runningHash()).toBe(v1.hash);
  expect(await h.served('http-ok v1')).toContain('http-ok v1');

  await proxy.up();
  const converged = await daemon.waitForStatus((s) => s.state === 'running', 'the head running', v2.sha);
  expect(converged.reconcile).toMatchObject({ trigger: 'poll', outcome: 'converged' });
  daemon.process.kill('SIGTERM');
  expect((await daemon.process.exited).code).toBe(0);
  await h.expectSettled({ hash: v2.hash, serves: 'http-ok v2' });
});
