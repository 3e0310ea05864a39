import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultHost } from './support/fault-host.js';
import { FaultProxy } from './support/proxy.js';
import { verdictOf } from './support/stow-process.js';
import { testHost } from './support/test-host-ctl.js';
import { type UniqueImage, uniqueImage } from './support/unique-image.js';

// Case 4. The new revision's image must be pulled and the registry is down, or cuts the connection in
// the middle of the layer blob. Pulls come before anything running is stopped (SPEC section 7), so the
// old containers keep their ids and serve. The correct outcome is `failed`, exit 2 ("nothing
// changed"), not a rollback: nothing was rolled out, and a registry outage is no reason to quarantine
// a good revision.
let h: FaultHost;
let image: UniqueImage;
beforeAll(async () => {
  h = await FaultHost.create('registry');
  image = uniqueImage(h.host.registry, h.image('http-ok-2'), `web-${h.id}`);
  await h.commit({ web: 'http-ok' });
  expect((await h.reconcile()).code).toBe(0);
});
afterAll(async () => {
  try {
    await testHost('registry-start');
  } finally {
    await h.cleanup();
  }
});

describe('the registry fails while the new image is pulled', () => {
  it('registry down: nothing stopped, the old version serves; with the registry back the revision deploys', async () => {
    const before = await h.containerIds();
    const v1 = h.runningHash();
    const v2 = await h.commit({ webRef: image.pinnedAt(h.host.registry) });
    let result: Awaited<ReturnType<FaultHost['reconcile']>>;
    try {
      await testHost('registry-stop');
      result = await h.reconcile();
    } finally {
      await testHost('registry-start');
    }
    expect(result.stderr).toMatch(/pull/);
    expect(result.stderr).toContain(image.repository);
    expect(await h.containerIds()).toEqual(before);
    expect(h.runningHash()).toBe(v1);
    expect(await h.served('http-ok v1')).toContain('http-ok v1');
    expect(result.code, verdictOf(result)).toBe(2);

    const retry = await h.reconcile();
    expect(retry.code, verdictOf(retry)).toBe(0);
    await h.expectSettled({ hash: v2.hash, serves: 'http-ok v2' });
  });

  // Slow (about 60 s): the engine retries a broken layer download 5 times, 5 to 20 s apart.
  it(
    '[slow] the registry cuts the layer blob midway: nothing stopped, the old version serves',
    async () => {
      await h.commit({ web: 'http-ok' });
      expect((await h.reconcile()).code).toBe(0);
      const before = await h.containerIds();
      const v1 = h.runningHash();
      const cut = new FaultProxy(
        { host: '127.0.0.1', port: 0 },
        { host: '127.0.0.1', port: Number(h.host.registry.split(':')[1]) },
        // 64 KiB of a blob answer (headers included), then the connection is cut.
        {
          onRequest: (line) =>
            /\/blobs\/sha256:/.test(line) && line.startsWith('GET') ? 64 * 1024 : undefined,
        },
      );
      await cut.up();
      h.undo.push(() => cut.down());
      const fresh = uniqueImage(h.host.registry, h.image('http-ok-2'), `cut-${h.id}`);
      await h.commit({ webRef: fresh.pinnedAt(cut.address) });

      const result = await h.reconcile();
      expect(
        cut.requests.some((r) => r.includes('/blobs/sha256:')),
        'a blob was requested through the proxy',
      ).toBe(true);
      expect(result.stderr).toMatch(/pull/);
      expect(await h.containerIds()).toEqual(before);
      expect(await h.served('http-ok v1')).toContain('http-ok v1');
      expect(result.code, verdictOf(result)).toBe(2);
      await h.expectSettled({ hash: v1 ?? '', serves: 'http-ok v1' });
    },
    10 * 60_000,
  ); // the engine's own retries take about 60 s; more on a loaded host
});
