import { describe, expect, it } from 'vitest';
import { type DockerImages, resolveRegistryDigest } from './docker-digest.js';
import { gitlabAuthFromEnv } from './gitlab-auth.js';
import { normaliseDigest, parseImageFlag } from './image-input.js';

const HEX = 'ab'.repeat(32);

describe('normaliseDigest', () => {
  it.each([HEX, `sha256:${HEX}`, ` ${HEX.toUpperCase()} `])('accepts %j', (input) => {
    expect(normaliseDigest(input)).toBe(`sha256:${HEX}`);
  });
  it.each(['', 'sha256:', HEX.slice(1), `${HEX}0`, `sha512:${HEX}`, `sha256:${'g'.repeat(64)}`])(
    'refuses %j',
    (input) => {
      expect(() => normaliseDigest(input)).toThrow(/is not a sha256 digest/);
    },
  );
});

describe('parseImageFlag', () => {
  it('splits repository and tag', () => {
    expect(parseImageFlag('127.0.0.1:5000/apps/web:1.2')).toEqual({
      repository: '127.0.0.1:5000/apps/web',
      tag: '1.2',
    });
    expect(parseImageFlag('web')).toEqual({ repository: 'web', tag: undefined });
  });
  it('refuses a digest and junk', () => {
    expect(() => parseImageFlag(`web:1@sha256:${HEX}`)).toThrow(/already carries a digest/);
    expect(() => parseImageFlag('Web Server')).toThrow(/is not an image reference/);
  });
});

describe('gitlabAuthFromEnv', () => {
  const api = { CI_API_V4_URL: 'https://git.example.com/api/v4' };
  it('prefers GITLAB_ACCESS_TOKEN over CI_JOB_TOKEN', () => {
    expect(gitlabAuthFromEnv({ ...api, GITLAB_ACCESS_TOKEN: 'glpat-x', CI_JOB_TOKEN: 'job' })).toEqual({
      apiUrl: api.CI_API_V4_URL,
      token: 'glpat-x',
    });
  });
  it('refuses CI_JOB_TOKEN alone, naming the api scope and never the token', () => {
    let message = '';
    try {
      gitlabAuthFromEnv({ ...api, CI_JOB_TOKEN: 'job-secret-123' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /only CI_JOB_TOKEN is set, and GitLab refuses job tokens for commits and merge requests/,
    );
    expect(message).toMatch(/api scope/);
    expect(message).not.toContain('job-secret-123');
  });
  it('needs CI_API_V4_URL and a token', () => {
    expect(() => gitlabAuthFromEnv({ GITLAB_ACCESS_TOKEN: 'x' })).toThrow(/CI_API_V4_URL is not set/);
    expect(() => gitlabAuthFromEnv(api)).toThrow(/GITLAB_ACCESS_TOKEN is not set/);
  });
});

describe('resolveRegistryDigest (injected engine)', () => {
  const D = (c: string) => `sha256:${c.repeat(64)}`;
  const engine = (
    image: { Id: string; RepoDigests?: string[] } | null,
    distribution?: string | Error,
  ): DockerImages & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      async inspectImage(ref) {
        calls.push(`inspect ${ref}`);
        return image;
      },
      async distribution(ref) {
        calls.push(`distribution ${ref}`);
        if (distribution instanceof Error) throw distribution;
        return { Descriptor: { digest: distribution } };
      },
    };
  };
  it('takes the RepoDigests entry of the same repository, never the image ID', async () => {
    const docker = engine({
      Id: D('9'),
      RepoDigests: [`other/repo@${D('1')}`, `reg:5000/apps/web@${D('2')}`],
    });
    expect(await resolveRegistryDigest(docker, 'reg:5000/apps/web:1', 'reg:5000/apps/web')).toBe(D('2'));
    expect(docker.calls).toEqual(['inspect reg:5000/apps/web:1']);
  });
  it('matches Docker Hub short names', async () => {
    const docker = engine({ Id: D('9'), RepoDigests: [`nginx@${D('3')}`] });
    expect(await resolveRegistryDigest(docker, 'docker.io/library/nginx:1', 'docker.io/library/nginx')).toBe(
      D('3'),
    );
  });
  it('falls back to the distribution endpoint when no RepoDigest matches', async () => {
    const docker = engine({ Id: D('9'), RepoDigests: [`other/repo@${D('1')}`] }, D('4'));
    expect(await resolveRegistryDigest(docker, 'reg:5000/apps/web:1', 'reg:5000/apps/web')).toBe(D('4'));
    expect(docker.calls).toEqual(['inspect reg:5000/apps/web:1', 'distribution reg:5000/apps/web:1']);
  });
  it('an image not in Docker, or never pushed, is a clear error', async () => {
    await expect(resolveRegistryDigest(engine(null), 'web:1', 'web')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: expect.stringMatching(/image web:1 is not in the local Docker engine/),
    });
    const unpushed = engine(
      { Id: D('9'), RepoDigests: [] },
      Object.assign(new Error('x'), { json: { message: 'manifest unknown' } }),
    );
    await expect(resolveRegistryDigest(unpushed, 'web:1', 'web')).rejects.toMatchObject({
      code: 'NO_REGISTRY_DIGEST',
      message: expect.stringMatching(
        /has no registry digest for web \(was it pushed\?\); the registry said: manifest unknown/,
      ),
    });
  });
});
