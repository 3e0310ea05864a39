import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';
import { testHost } from './support/test-host-ctl.js';

// Case 1. dockerd restarts (an upgrade, a crash) while stow verifies a new revision. The engine stops
// every container and starts those with a restart policy again: the same containers (same ids,
// RestartCount 0), running and healthy again within seconds. The deployment did nothing wrong, so the
// correct outcome is that verification treats the unreachable engine and the stopped containers as
// invalid observations (the stable window starts again) and the new revision converges, verified.
let h: FaultHost;
beforeAll(async () => {
  h = await FaultHost.create('dockerd');
});
afterAll(async () => {
  try {
    await testHost('ensure');
  } finally {
    await h.cleanup();
  }
});

it('dockerd restarted during verification: the new revision is verified once the engine is back, and serves', async () => {
  await h.commit({ web: 'http-ok' });
  expect((await h.reconcile()).code).toBe(0);
  const v2 = await h.commit({ web: 'http-ok-2' });

  const run = h.spawnReconcile();
  await run.waitFor((e) => e.msg === 'verifying', 'verifying');
  try {
    await testHost('dockerd-restart');
  } finally {
    await testHost('ensure');
  }
  const exit = await run.exited;

  const verdict = run.output.filter((line) => !line.startsWith('{')).join('\n');
  expect(exit.code, verdict).toBe(0);
  expect(verdict).toMatch(new RegExp(`converged ${h.deployment} v1:${v2.hash}`));
  await h.expectSettled({ hash: v2.hash, serves: 'http-ok v2' });
});
