import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface UniqueImage {
  /** `stow-fault/NAME` (no registry). */
  readonly repository: string;
  readonly digest: string;
  /** `REGISTRY/stow-fault/NAME:1@sha256:...` for another registry address (a proxy in front of it). */
  pinnedAt(registry: string): string;
}

/**
 * An image that is in the registry but not in the engine's store, so that deploying it needs a real
 * pull: `base` plus a layer of `sizeBytes` random bytes, built, pushed to `registry` and removed locally
 * (the base image stays, so only the new layer's blob has to come over the wire).
 */
export function uniqueImage(registry: string, base: string, name: string, sizeBytes = 1 << 20): UniqueImage {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-fault-image-'));
  const repository = `stow-fault/${name}`;
  const tag = `${registry}/${repository}:1`;
  const docker = (...args: string[]) =>
    execFileSync('docker', args, {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_BUILDKIT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    writeFileSync(path.join(dir, 'random.bin'), randomBytes(sizeBytes));
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}\nCOPY random.bin /random.bin\n`);
    docker('build', '-q', '-t', tag, dir);
    docker('push', tag);
    const repoDigest = docker('image', 'inspect', '--format', '{{index .RepoDigests 0}}', tag).trim();
    const digest = repoDigest.slice(repoDigest.indexOf('@') + 1);
    docker('image', 'rm', tag);
    return { repository, digest, pinnedAt: (at) => `${at}/${repository}:1@${digest}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
