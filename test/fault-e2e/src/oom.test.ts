import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';

// Case 7. A container of the new revision is killed by its memory limit (8 MiB, and a shell that
// builds a 64 MiB string). Verification fails and rolls back; the reason must say OOM, with or
// without a restart policy (with one, the engine restarts it and the verdict is "restarted").
let h: FaultHost;
let v1 = '';
beforeAll(async () => {
  h = await FaultHost.create('oom');
  v1 = (await h.commit({ web: 'http-ok' })).hash;
  expect((await h.reconcile()).code).toBe(0);
});
afterAll(async () => {
  await h.cleanup();
});

const hog = (restart: string) => `  hog-{id}:
    image: BUSYBOX
    command: [sh, -c, 'x=$(head -c 64m /dev/zero | tr "\\0" a); sleep 100']
    memory: 8m
    init: true
    restart: "${restart}"
`;

it.each(['no', 'unless-stopped'])(
  'restart: %s — the memory hog is OOM killed, the revision rolled back, the reason says OOM',
  async (restart) => {
    await h.commit({
      extra: hog(restart).replace('BUSYBOX', h.image('busybox')),
      extraNames: ['hog'],
      verify: { stableSeconds: 2, timeoutSeconds: 10 },
    });
    const result = await h.reconcile();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`hog-${h.id}: [^;]*OOM`));
    await h.expectSettled({ hash: v1, serves: 'http-ok v1' });
  },
);
