import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';

// Case 9, short. The daemon reconciles again and again, alternating two revisions of three
// containers (1 s window), each asked for by POST /trigger with a new commit: every run converges and
// nothing accumulates — containers, networks, snapshots, file descriptors. The full 200-run soak with
// memory figures is `pnpm bench soak`; STOW_FAULT_SOAK_RECONCILES sets the count here.
const RECONCILES = Number(process.env.STOW_FAULT_SOAK_RECONCILES ?? 20);
const WARM_UP = Math.min(5, RECONCILES);
let h: FaultHost;
beforeAll(async () => {
  h = await FaultHost.create('soak');
});
afterAll(async () => {
  await h.cleanup();
});

const cache = (image: string) => `  cache-{id}:
    image: ${image}
    command: [sleep, "3600"]
    init: true
    restart: unless-stopped
`;

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

it(
  `[slow] ${RECONCILES} reconciles alternating two revisions: all converge, nothing leaks`,
  async () => {
    const revision = (n: number) => ({
      web: n % 2 ? ('http-ok-2' as const) : ('http-ok' as const),
      extra: cache(h.image('busybox')),
      extraNames: ['cache'],
      verify: { stableSeconds: 1, timeoutSeconds: 20 },
    });
    // run.txt from the first commit on: exactly two deployment hashes alternate.
    await h.commit(revision(0), { 'run.txt': '0\n' });
    const daemon = await h.startDaemon();
    expect((await daemon.finishedRun()).reconcile?.outcome).toBe('converged');
    const pid = daemon.process.pid;

    const outcomes: string[] = [];
    let fdsAfterWarmUp = 0;
    let lastId = '';
    for (let n = 1; n <= RECONCILES; n++) {
      const head = await h.commit(revision(n), { 'run.txt': `${n % 2}\n` });
      expect(await daemon.trigger(head.sha)).toBe(202);
      const status = await daemon.waitForStatus(
        (s) =>
          s.reconcile?.state === 'finished' &&
          s.reconcile.id !== lastId &&
          s.state !== 'queued' &&
          s.state !== 'reconciling',
        `run ${n} finished`,
        head.sha,
      );
      lastId = status.reconcile?.id ?? '';
      outcomes.push(
        `${status.reconcile?.outcome}:${status.state}` +
          (status.state === 'running'
            ? ''
            : ` (run ${n}: ${status.reconcile?.reason ?? ''} ${status.error ?? ''})`),
      );
      if (n === WARM_UP) fdsAfterWarmUp = openFds(pid);
    }

    expect(
      outcomes.filter((o) => o !== 'converged:running'),
      'runs that did not converge',
    ).toEqual([]);
    const last = revision(RECONCILES);
    const running = h.runningHash() ?? '';
    await h.expectSettled({
      hash: running,
      serves: last.web === 'http-ok' ? 'http-ok v1' : 'http-ok v2',
      extraNames: ['cache'],
    });
    // Two revisions alternate: two snapshots, however many runs.
    expect(h.snapshotHashes().length).toBe(2);
    // A descriptor per run would show as RECONCILES - WARM_UP more; a few come and go with connections.
    expect(openFds(pid) - fdsAfterWarmUp, 'file descriptors opened since the warm-up').toBeLessThanOrEqual(5);
    expect(rssKiB(pid)).toBeGreaterThan(0);
    daemon.process.kill('SIGTERM');
    expect((await daemon.process.exited).code).toBe(0);
  },
  20 * 60_000,
); // 20 runs take about 90 s alone; a loaded 2-core CI host several times that
