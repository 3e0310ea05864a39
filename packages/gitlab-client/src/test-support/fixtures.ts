import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeGitlab, type FakeGitlab, type FakeGitlabOptions } from '@stow/fake-gitlab';

export const TOKEN = 'glpat-SECRET-abc123xyz';
export const READ_TOKEN = 'glpat-READONLY-777';
export const JOB_TOKEN = 'jobtok-SECRET-999';

export async function tempDir(prefix = 'stow-gl-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fake GitLab on a fresh bare repo with an api token, a read_api token and a job token. */
export async function startFake(
  extra: Partial<FakeGitlabOptions> = {},
): Promise<{ fake: FakeGitlab; dir: string; cleanup(): Promise<void> }> {
  const tmp = await tempDir();
  const fake = await createFakeGitlab({
    repo: join(tmp.dir, 'repo.git'),
    tokens: [
      { token: TOKEN, scopes: ['api'], username: 'stow-bot' },
      { token: READ_TOKEN, scopes: ['read_api'], username: 'stow-bot' },
      { token: JOB_TOKEN, kind: 'job' },
    ],
    users: [
      { id: 1, username: 'stow-bot', name: 'Stow Bot' },
      { id: 146, username: 'alice', name: 'Alice' },
      { id: 147, username: 'bob', name: 'Bob', state: 'blocked' },
    ],
    ...extra,
  });
  return {
    fake,
    dir: tmp.dir,
    cleanup: async () => {
      await fake.close();
      await tmp.cleanup();
    },
  };
}

/** Sleep/random recorder for retry tests: no real waiting. */
export function fakeRetryEnv(random = 0.5) {
  const delays: number[] = [];
  return {
    delays,
    env: {
      sleep: async (ms: number) => {
        delays.push(ms);
      },
      random: () => random,
      now: () => Date.now(),
    },
  };
}
