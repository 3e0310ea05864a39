import { randomBytes } from 'node:crypto';
import {
  dockerImagesFromEnv,
  normaliseDigest,
  resolveRegistryDigest,
  SuggestImageError,
} from '@stow/suggest-image';
import { loadTestHost, pullImage, type TestHost } from '@stow/test-host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const id = randomBytes(3).toString('hex');
let host: TestHost;
const made: string[] = [];
beforeAll(async () => {
  host = await loadTestHost();
});
afterAll(async () => {
  for (const ref of made)
    await host.docker
      .getImage(ref)
      .remove({ noprune: true })
      .catch(() => undefined);
});

async function caught(promise: Promise<unknown>): Promise<SuggestImageError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SuggestImageError) return error;
    throw error;
  }
  throw new Error('expected a SuggestImageError');
}

describe('--digest omitted: the registry manifest digest from the real engine', () => {
  it('an image pushed to the local registry resolves to its real registry digest, not its image ID', async () => {
    const image = host.images['http-ok-2'];
    await pullImage(host.docker, image.ref); // by tag: the engine records RepoDigests for the repository
    const repository = image.ref.slice(0, image.ref.lastIndexOf(':'));
    const digest = await resolveRegistryDigest(dockerImagesFromEnv({}), image.ref, repository);
    expect(digest).toBe(image.digest);
    const inspected = await host.docker.getImage(image.ref).inspect();
    expect(inspected.Id).not.toBe(digest);
  });

  it('an image only local under its name (tagged, never pushed) is refused after asking the registry', async () => {
    // Same content under another, unpushed repository name: RepoDigests only name the pushed repositories.
    const image = host.images['http-ok'];
    await pullImage(host.docker, image.ref);
    const alias = `${host.registry}/stow-test/wf-alias-${id}:1`;
    await host.docker.getImage(image.ref).tag({ repo: alias.slice(0, alias.lastIndexOf(':')), tag: '1' });
    made.push(alias);
    const error = await caught(
      resolveRegistryDigest(dockerImagesFromEnv({}), alias, alias.slice(0, alias.lastIndexOf(':'))),
    );
    expect(error.code).toBe('NO_REGISTRY_DIGEST');
    expect(error.message).toMatch(
      new RegExp(
        `image ${alias.replace(/[.]/g, '\\.')} is in Docker but has no registry digest .*was it pushed\\?`,
      ),
    );
  });

  it('an image ID given as --digest is not special-cased: it is 64 hex, so it must be the manifest digest', async () => {
    const inspected = await host.docker.getImage(host.images['http-ok'].ref).inspect();
    // Nothing can tell a config digest from a manifest digest by its form: the help and README say which one.
    expect(normaliseDigest(inspected.Id)).toBe(inspected.Id);
    expect(inspected.Id).not.toBe(host.images['http-ok'].digest);
  });

  it('an image that is not in Docker is a clear error', async () => {
    const ref = `${host.registry}/stow-test/wf-missing-${id}:1`;
    const error = await caught(
      resolveRegistryDigest(dockerImagesFromEnv({}), ref, ref.slice(0, ref.lastIndexOf(':'))),
    );
    expect(error.code).toBe('IMAGE_NOT_FOUND');
    expect(error.message).toContain(`image ${ref} is not in the local Docker engine`);
  });
});
