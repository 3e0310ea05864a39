import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';
import { verdictOf } from './support/stow-process.js';

// Case 7. A container of the new revision is killed by its memory limit: 8 MiB, and `tail -c 64m`
// of /dev/zero as its process, which fills a 64 MiB buffer at once (dead within milliseconds, before
// any stable window; a shell building a big string can take longer than the window on a busy host). Verification fails and rolls back; the reason must say OOM, with or
// without a restart policy (with one, the engine restarts it and the verdict is "restarted"; Docker
// 20.10 may not have set the OOM flag yet when it is seen restarting, and the reason then names exit
// 137 as the OOM killer's SIGKILL: seen once in CI).
let h: FaultHost;
let v1 = '';
/** Each variant starts from v1, verified (a noop when the previous variant rolled back). */
async function onV1(): Promise<void> {
  v1 = (await h.commit({ web: 'http-ok' })).hash;
  const result = await h.reconcile();
  expect(result.code, result.stderr).toBe(0);
}
beforeAll(async () => {
  h = await FaultHost.create('oom');
});
afterAll(async () => {
  await h.cleanup();
});

const hog = (restart: string) => `  hog-{id}:
    image: BUSYBOX
    command: [tail, -c, 64m, /dev/zero]
    memory: 8m
    init: true
    restart: "${restart}"
`;

it.each(['no', 'unless-stopped'])(
  'restart: %s — the memory hog is OOM killed, the revision rolled back, the reason says OOM',
  async (restart) => {
    await onV1();
    await h.commit({
      extra: hog(restart).replace('BUSYBOX', h.image('busybox')),
      extraNames: ['hog'],
      verify: { stableSeconds: 2, timeoutSeconds: 10 },
    });
    const result = await h.reconcile();
    expect(result.code, verdictOf(result)).toBe(1);
    expect(verdictOf(result)).toMatch(new RegExp(`failed at verify: (.*; )?hog-${h.id}: [^;]*OOM`));
    await h.expectSettled({ hash: v1, serves: 'http-ok v1' });
  },
);
