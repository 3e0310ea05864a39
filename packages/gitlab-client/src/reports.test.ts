import type { FakeGitlab } from '@stow/fake-gitlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabClient } from './client.js';
import { fakeRetryEnv, READ_TOKEN, startFake, TOKEN } from './test-support/fixtures.js';
import type { GitlabClient } from './types.js';

describe('commit statuses and deployments through the client', () => {
  let fake: FakeGitlab;
  let stop: () => Promise<void>;
  let client: GitlabClient;
  let readOnly: GitlabClient;
  let sha: string;
  const P = 'ops/deployments';

  beforeAll(async () => {
    ({ fake, cleanup: stop } = await startFake());
    client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN, retryEnv: fakeRetryEnv().env });
    readOnly = createGitlabClient({ apiUrl: fake.apiUrl, token: READ_TOKEN, retryEnv: fakeRetryEnv().env });
    sha = await fake.commitFiles('main', { 'h1/stow.yaml': 'x\n' });
  });
  afterAll(async () => {
    await client.close();
    await readOnly.close();
    await stop();
  });

  it('sets a commit status with name, ref, target_url and description', async () => {
    await client.setCommitStatus(P, sha, {
      state: 'running',
      name: 'stow/h1',
      ref: 'main',
      targetUrl: 'https://h1:17403/status?head_hash=x',
      description: 'applying',
    });
    await client.setCommitStatus(P, sha, { state: 'success', name: 'stow/h1', ref: 'main' });
    expect(fake.commitStatuses).toMatchObject([
      {
        sha,
        name: 'stow/h1',
        ref: 'main',
        status: 'success',
        targetUrl: 'https://h1:17403/status?head_hash=x',
        description: 'applying',
      },
    ]);
  });

  it('creates a deployment and updates its status', async () => {
    const created = await client.createDeployment(P, {
      environment: 'h1',
      sha,
      ref: 'main',
      status: 'running',
    });
    expect(created).toMatchObject({ status: 'running', environment: 'h1' });
    const updated = await client.updateDeployment(P, created.id, 'failed');
    expect(updated).toEqual({ id: created.id, status: 'failed', environment: 'h1' });
    expect(fake.deployments.at(-1)).toMatchObject({ sha, ref: 'main', tag: false, status: 'failed' });
  });

  it('sorts a read_api token, a repeated state and bad arguments into codes, never the token', async () => {
    const denied = await readOnly
      .setCommitStatus(P, sha, { state: 'running', name: 'stow/h1' })
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(String((denied as Error).message)).toMatch(/needs scope api/);
    expect(String((denied as Error).message)).not.toContain(READ_TOKEN);
    await expect(
      readOnly.createDeployment(P, { environment: 'h1', sha, ref: 'main', status: 'running' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await client.setCommitStatus(P, sha, { state: 'running', name: 'stow/again', ref: 'main' });
    await expect(
      client.setCommitStatus(P, sha, { state: 'running', name: 'stow/again', ref: 'main' }),
    ).rejects.toMatchObject({ code: 'REJECTED', status: 400 });
    await expect(client.setCommitStatus(P, 'abc', { state: 'running', name: 'x' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(client.updateDeployment(P, 0, 'success')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
