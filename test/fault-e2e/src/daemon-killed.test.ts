import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';
import type { LogEntry } from './support/stow-process.js';

// Cases 5 and 6. The daemon applies a new revision at start (as after an upgrade); it is killed with
// SIGKILL during the apply or during verification, or stopped with SIGTERM during verification, and
// started again. kill -9: the next start finds running-config.previous, rolls back, then converges to
// the head. SIGTERM: the daemon lets the verification finish, exits 0 with no half-switched state,
// and the next start finds the host converged.
let h: FaultHost;
let revision = 0;
/** A new deployment hash each time (a file of the folder changes); web alternates v1 and v2. */
const nextRevision = () => {
  revision += 1;
  return h.commit({ web: revision % 2 ? 'http-ok-2' : 'http-ok' }, { 'note.txt': `revision ${revision}\n` });
};
const serves = () => (revision % 2 ? 'http-ok v2' : 'http-ok v1');

beforeAll(async () => {
  h = await FaultHost.create('daemon');
  await h.commit({ web: 'http-ok' });
  expect((await h.reconcile()).code).toBe(0);
});
afterAll(async () => {
  await h.cleanup();
});

describe('kill -9 of the daemon, then a start', () => {
  it.each<[string, (e: LogEntry) => boolean]>([
    ['during the apply (old containers removed, new ones not yet created)', (e) => e.msg === 'docker remove'],
    ['during verification', (e) => e.msg === 'verifying'],
  ])(
    '%s: the next start rolls back, then converges to the head, with no orphans',
    async (_point, killPoint) => {
      const head = await nextRevision();
      const first = await h.startDaemon();
      await first.process.waitFor(killPoint, 'the kill point');
      first.process.kill('SIGKILL');
      expect((await first.process.exited).signal).toBe('SIGKILL');
      expect(existsSync(path.join(h.stateDir, 'running-config.previous')), 'an apply was interrupted').toBe(
        true,
      );

      const second = await h.startDaemon();
      const status = await second.waitForStatus(
        (s) => s.reconcile?.state === 'finished',
        'the start run',
        head.sha,
      );
      expect(second.process.entries.map((e) => e.msg)).toContain(
        'found an interrupted apply: rolling back before reconciling',
      );
      expect(status).toMatchObject({
        state: 'running',
        running_deployment_hash: head.hash,
        reconcile: { trigger: 'start', outcome: 'converged' },
      });
      second.process.kill('SIGTERM');
      expect((await second.process.exited).code).toBe(0);
      await h.expectSettled({ hash: head.hash, serves: serves() });
    },
  );
});

it('SIGTERM during verification: the daemon finishes verifying, exits 0, and the next start finds the host converged', async () => {
  const head = await nextRevision();
  const first = await h.startDaemon();
  await first.process.waitFor((e) => e.msg === 'verifying', 'verifying');
  first.process.kill('SIGTERM');
  expect((await first.process.exited).code).toBe(0);
  const msgs = first.process.entries.map((e) => e.msg);
  const finished = first.process.entries.find((e) => e.msg === 'reconcile finished');
  expect(finished).toMatchObject({ outcome: 'converged' });
  expect(msgs.indexOf('reconcile finished')).toBeLessThan(msgs.indexOf('stopped'));
  await h.expectSettled({ hash: head.hash, serves: serves() });

  const second = await h.startDaemon();
  const status = await second.finishedRun();
  expect(status).toMatchObject({ state: 'running', reconcile: { trigger: 'start', outcome: 'converged' } });
  expect(second.process.entries.map((e) => e.msg)).not.toContain('applying');
  second.process.kill('SIGTERM');
  expect((await second.process.exited).code).toBe(0);
  await h.expectSettled({ hash: head.hash, serves: serves() });
});
