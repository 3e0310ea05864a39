import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeGitlab, type FakeGitlab } from '@stow/fake-gitlab';
import { createGitlabClient, type GitlabClient } from '@stow/gitlab-client';

export const TOKEN = 'glpat-suggest-test-secret';

/** The options of a typical run: pin webapp of deploy-host to 20260429.1 (digest b...b). */
export const RUN_OPTIONS = {
  project: 'ops/deployments',
  subfolder: 'deploy-host',
  container: 'webapp',
  image: 'registry.example.com/apps/webapp:20260429.1',
  digest: 'b'.repeat(64),
} as const;
export const digestOf = (c: string) => `sha256:${c.repeat(64)}`;
export const OLD_IMAGE = `registry.example.com/apps/webapp:20260428.0@${digestOf('a')}`;

export const STOW_YAML = `# webapp on deploy-host
deployment:
  name: webapp
  daemonBaseUrl: https://deploy-host.example.com:17403/   # badges
containers:
  webapp:
    image: ${OLD_IMAGE}   # pinned by CI
    restart: unless-stopped
  worker: { image: "registry.example.com/apps/worker:3@${digestOf('c')}", command: [sleep, "9"] }
`;

export interface FakeRepo {
  fake: FakeGitlab;
  client: GitlabClient;
  seedSha: string;
  close(): Promise<void>;
}

/** A fake GitLab whose default branch holds deploy-host/stow.yaml, and a client with fast retries. */
export async function fakeRepo(
  files: Record<string, string> = { 'deploy-host/stow.yaml': STOW_YAML },
): Promise<FakeRepo> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-suggest-'));
  const fake = await createFakeGitlab({
    repo: path.join(dir, 'repo.git'),
    project: 'ops/deployments',
    tokens: [
      { token: TOKEN, scopes: ['api'], username: 'stow-bot' },
      { token: 'glpat-readonly', scopes: ['read_api'], username: 'stow-bot' },
    ],
    users: [
      { id: 1, username: 'stow-bot' },
      { id: 146, username: 'alice' },
      { id: 147, username: 'bob', state: 'blocked' },
      // A pipeline user who is not a member of the deployment repository: GitLab drops them as assignee.
      { id: 150, username: 'ci.user', member: false },
    ],
  });
  const seedSha = await fake.commitFiles(
    'main',
    { 'README.md': 'deployments\n', ...files },
    { message: 'seed' },
  );
  const client = createGitlabClient({
    apiUrl: fake.apiUrl,
    token: TOKEN,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return {
    fake,
    client,
    seedSha,
    async close() {
      await client.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Requests that change something (anything but GET/HEAD). */
export const writes = (fake: FakeGitlab) =>
  fake.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
