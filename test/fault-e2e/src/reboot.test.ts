import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';

// Case 8. A host reboot: the daemon is stopped, every container of the deployment stops (the engine
// comes back with them stopped), the daemon starts. Its start run must repair the running deployment
// (drift repair) and must not retry the head: a revision that failed and was rolled back before the
// reboot is quarantined; only a new commit, /trigger or `stow reconcile` retries it.
let h: FaultHost;
beforeAll(async () => {
  h = await FaultHost.create('reboot');
});
afterAll(async () => {
  await h.cleanup();
});

it('every container stopped, daemon started: the running deployment comes back, the quarantined head is not retried', async () => {
  const good = await h.commit({ web: 'http-ok' });
  expect((await h.reconcile()).code).toBe(0);
  const bad = await h.commit({ web: 'health-fail', verify: { stableSeconds: 2, timeoutSeconds: 8 } });
  const failed = await h.reconcile();
  expect(failed.code, failed.stderr).toBe(1);
  await h.expectSettled({ hash: good.hash, serves: 'http-ok v1' });

  // The reboot: everything stops; restart policies do not apply to containers stopped by hand.
  for (const container of (await h.managed()).values())
    await h.docker.getContainer(container.Id).stop({ t: 5 });
  expect([...(await h.managed()).values()].map((c) => c.State)).toEqual(['exited', 'exited']);

  const daemon = await h.startDaemon();
  const status = await daemon.finishedRun();
  const applied = daemon.process.entries.filter((e) => e.msg === 'applying').map((e) => e.deployment_hash);
  expect({ retriedTheQuarantinedHead: applied.includes(bad.hash), status }).toMatchObject({
    retriedTheQuarantinedHead: false,
    status: {
      head_hash: bad.sha,
      state: 'error',
      running_deployment_hash: good.hash,
      reconcile: { trigger: 'start', outcome: 'quarantined' },
    },
  });
  daemon.process.kill('SIGTERM');
  expect((await daemon.process.exited).code).toBe(0);
  await h.expectSettled({ hash: good.hash, serves: 'http-ok v1' });
});
