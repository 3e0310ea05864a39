import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestHost, readImagesFile, TEST_IMAGE_NAMES } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stow-test-host-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTestHost', () => {
  it('runs ci/setup-test-host when images.json is missing, and the engine answers', async () => {
    const path = join(dir, 'missing', 'images.json');
    const saved = process.env.STOW_TEST_IMAGES_JSON;
    process.env.STOW_TEST_IMAGES_JSON = path;
    try {
      const host = await loadTestHost();
      expect(host.imagesJson).toBe(path);
      // The setup wrote the file it was asked for, with the same content it returned.
      expect(JSON.parse(await readFile(path, 'utf8')).images).toEqual(host.images);
      expect(await host.docker.ping()).toBeTruthy();
      const res = await fetch(
        `http://${host.registry}/v2/stow-test/crash/manifests/${host.images.crash.digest}`,
        { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } },
      );
      expect(res.headers.get('docker-content-digest')).toBe(host.images.crash.digest);
    } finally {
      if (saved === undefined) delete process.env.STOW_TEST_IMAGES_JSON;
      else process.env.STOW_TEST_IMAGES_JSON = saved;
    }
  }, 300_000);
});

describe('readImagesFile', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const image = (name: string) => {
    const ref = `127.0.0.1:5000/stow-test/${name}:1`;
    return { ref, digest, pinned: `${ref}@${digest}` };
  };
  const valid = () => ({
    registry: '127.0.0.1:5000',
    healthcheck: ['CMD', 'true'],
    images: Object.fromEntries(TEST_IMAGE_NAMES.map((n) => [n, image(n)])),
  });
  const write = async (name: string, data: unknown) => {
    const path = join(dir, name);
    await writeFile(path, typeof data === 'string' ? data : JSON.stringify(data));
    return path;
  };

  it('accepts a complete file', async () => {
    const file = await readImagesFile(await write('ok.json', valid()));
    expect(file.images['dies-later'].pinned).toBe(`127.0.0.1:5000/stow-test/dies-later:1@${digest}`);
  });

  it.each([
    ['not JSON', '{', /cannot read it as JSON/],
    ['no registry', { ...valid(), registry: 5 }, /"registry"/],
    ['a missing image', { ...valid(), images: { ...valid().images, crash: undefined } }, /images\.crash/],
    [
      'a short digest',
      { ...valid(), images: { ...valid().images, busybox: { ...image('busybox'), digest: 'sha256:ab' } } },
      /images\.busybox/,
    ],
    [
      'pinned not ref@digest',
      { ...valid(), images: { ...valid().images, 'http-ok': { ...image('http-ok'), pinned: 'x' } } },
      /images\.http-ok\.pinned/,
    ],
  ])('rejects %s, naming the file and field', async (label, data, message) => {
    const path = await write(`${label.replaceAll(' ', '-')}.json`, data);
    const error = await readImagesFile(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TestHostError', code: 'BAD_IMAGES_JSON', subject: path });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path);
  });
});
