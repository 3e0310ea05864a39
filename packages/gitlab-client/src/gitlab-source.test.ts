import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitlabClient } from './client.js';
import { createGitlabSource } from './gitlab-source.js';
import { fakeRetryEnv, startFake, TOKEN } from './test-support/fixtures.js';
import { describeSourceContract } from './test-support/source-contract.js';

describeSourceContract('GitLab (fake-gitlab)', async () => {
  const { fake, dir, cleanup } = await startFake();
  await mkdir(join(dir, 'work'));
  const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: fakeRetryEnv().env });
  return {
    source: createGitlabSource({ client, project: fake.project, subfolder: 'deploy-host.example.com' }),
    commit: (branch, files, from) => fake.commitFiles(branch, files, from ? { from } : {}),
    workDir: join(dir, 'work'),
    cleanup: async () => {
      await client.close();
      await cleanup();
    },
  };
});

describe('GitLab source downloads', () => {
  it('retries a download cut mid-stream and leaves a clean staging dir', async () => {
    const { fake, dir, cleanup } = await startFake();
    const rec = fakeRetryEnv();
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: rec.env });
    try {
      const big = randomBytes(512 * 1024).toString('base64');
      const sha = await fake.commitFiles('main', { 'h/stow.yaml': 'a\n', 'h/big.txt': big });
      fake.injectFault({ path: 'repository/archive', truncateAfterBytes: 20_000, times: 1 });
      const source = createGitlabSource({ client, project: 1, subfolder: 'h', retryEnv: rec.env });
      const result = await source.fetchSubfolder(sha, join(dir, 'staging'));
      expect(result.files).toBe(2);
      expect(await readFile(join(dir, 'staging', 'big.txt'), 'utf8')).toBe(big);
      expect(fake.requests.filter((r) => r.path.includes('repository/archive'))).toHaveLength(2);
      expect(rec.delays).toHaveLength(1);
    } finally {
      await client.close();
      await cleanup();
    }
  });

  it('gives up on a download that keeps getting cut, with a transient error and no staging left', async () => {
    const { fake, dir, cleanup } = await startFake();
    const rec = fakeRetryEnv();
    const client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: rec.env });
    try {
      const sha = await fake.commitFiles('main', { 'h/big.txt': randomBytes(512 * 1024).toString('base64') });
      fake.injectFault({ path: 'repository/archive', truncateAfterBytes: 20_000, times: 10 });
      const source = createGitlabSource({ client, project: 1, subfolder: 'h', retryEnv: rec.env });
      const err = await source.fetchSubfolder(sha, join(dir, 'staging')).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'GitlabClientError', code: 'NETWORK' });
      expect((err as Error).message).toMatch(
        /^GET \/api\/v4\/projects\/1\/repository\/archive\.tar\.gz: connection failed/,
      );
      expect(rec.delays).toHaveLength(2);
      await expect(stat(join(dir, 'staging'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await client.close();
      await cleanup();
    }
  });
});
