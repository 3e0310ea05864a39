import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeGitlab, type FakeGitlab } from '@stow/fake-gitlab';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

const TOKEN = 'glpat-cli-secret-token';
const OLD = `registry.example.com/apps/webapp:20260428.0@sha256:${'a'.repeat(64)}`;
const STOW_YAML = `deployment:\n  name: webapp\n  daemonBaseUrl: https://deploy-host.example.com:17403\ncontainers:\n  webapp:\n    image: ${OLD}\n`;
const FLAGS = [
  'suggest-image',
  '--project',
  'ops/deployments',
  '--subfolder',
  'deploy-host',
  '--container',
  'webapp',
  '--image',
  'registry.example.com/apps/webapp:20260429.1',
  '--digest',
  'b'.repeat(64),
];

let dir: string;
let fake: FakeGitlab;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stow-cli-suggest-'));
  fake = await createFakeGitlab({
    repo: path.join(dir, 'repo.git'),
    tokens: [
      { token: TOKEN, scopes: ['api'] },
      { token: 'ci-job-secret', kind: 'job' },
    ],
    users: [
      { id: 1, username: 'stow-bot' },
      { id: 147, username: 'bob', state: 'blocked' },
      { id: 150, username: 'ci.user', member: false },
      { id: 146, username: 'alice' },
    ],
  });
  await fake.commitFiles('main', { 'deploy-host/stow.yaml': STOW_YAML });
  env = { CI_API_V4_URL: fake.apiUrl, GITLAB_ACCESS_TOKEN: TOKEN };
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const noSecret = (r: { stdout: string; stderr: string }) => {
  expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  expect(`${r.stdout}${r.stderr}`).not.toContain('ci-job-secret');
};

describe('stow suggest-image', () => {
  it('opens the MR, says why nobody was assigned, and is idempotent on rerun', async () => {
    const first = await runCli([...FLAGS, '--assign', 'gitlab_user_id,id:147,user:ghost'], dir, env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const sha = await fake.branchHead('suggest/deploy-host/webapp');
    expect(first.stdout).toContain(
      `branch: suggest/deploy-host/webapp at ${sha} (new commit on the default branch head)`,
    );
    expect(first.stdout).toMatch(
      /merge request !1 created: http:\/\/127\.0\.0\.1:\d+\/ops\/deployments\/-\/merge_requests\/1/,
    );
    expect(first.stdout).toContain(
      'nobody assigned:\n  gitlab_user_id: GITLAB_USER_ID is not set\n  id:147: user bob (147) is blocked\n  user:ghost: no active user with that name (GitLab does not list blocked users)\n',
    );
    expect(fake.mergeRequests[0]?.assigneeIds).toEqual([]);
    const again = await runCli(FLAGS, dir, env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(unchanged: already this change on the default branch head)');
    expect(again.stdout).toContain('merge request !1 unchanged');
    noSecret(first);
  });

  it('says which --assign attempt stuck when GitLab drops the pipeline user; a rerun writes nothing', async () => {
    const withUser = { ...env, GITLAB_USER_ID: '150' };
    const args = [...FLAGS, '--assign', 'gitlab_user_id,user:alice'];
    const first = await runCli(args, dir, withUser);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(
      'assignee: alice (146), --assign attempt 2 (user:alice) stuck\nassignment attempts skipped:\n  gitlab_user_id: GitLab did not assign ci.user (150): they cannot read ops/deployments (not a member?)\n',
    );
    expect(fake.mergeRequests[0]?.assigneeIds).toEqual([146]);
    const writesBefore = fake.requests.filter((r) => r.method !== 'GET').length;
    const again = await runCli(args, dir, withUser);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('merge request !1 unchanged');
    expect(again.stdout).toContain('assignee: alice (146), --assign attempt 2 (user:alice) stuck\n');
    expect(fake.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    noSecret(first);
  });

  it('already pinned: exit 0 and not one write', async () => {
    const result = await runCli(
      [
        ...FLAGS.slice(0, -4),
        '--image',
        'registry.example.com/apps/webapp:20260428.0',
        '--digest',
        `sha256:${'a'.repeat(64)}`,
      ],
      dir,
      env,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^already pinned: main \([0-9a-f]{12}\) runs .*webapp:20260428\.0@sha256:a{64}; nothing to do\n$/,
    );
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('CI_JOB_TOKEN alone: exit 2 before any request, naming the api scope', async () => {
    const result = await runCli(FLAGS, dir, { CI_API_V4_URL: fake.apiUrl, CI_JOB_TOKEN: 'ci-job-secret' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^stow suggest-image: only CI_JOB_TOKEN is set, and GitLab refuses job tokens for commits and merge requests: set GITLAB_ACCESS_TOKEN .*api scope/,
    );
    expect(fake.requests).toEqual([]);
    noSecret(result);
  });

  it('bad inputs exit 2 with a clear line and change nothing', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [FLAGS.filter((f) => f !== '--image' && !f.includes('20260429')), env, /missing --image/],
      [[...FLAGS, '--container', 'nope'], env, /no container "nope" \(known containers: webapp\)/],
      [[...FLAGS, '--digest', 'abc'], env, /--digest "abc" is not a sha256 digest/],
      [
        [...FLAGS, '--changelog-file', 'missing.md'],
        env,
        /--changelog-file missing\.md cannot be read \(ENOENT\)/,
      ],
      [
        FLAGS,
        { ...env, GITLAB_ACCESS_TOKEN: 'glpat-wrong-secret' },
        /read the default branch failed: GET \/api\/v4\/projects\/ops%2Fdeployments: .*401/,
      ],
      [
        FLAGS,
        { ...env, CI_API_V4_URL: 'https://git.example.com/' },
        /CI_API_V4_URL: .*must end with \/api\/v4/,
      ],
    ];
    for (const [args, e, message] of cases) {
      const result = await runCli(args, dir, e);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('glpat-wrong-secret');
      noSecret(result);
    }
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await fake.branchHead('suggest/deploy-host/webapp')).toBeNull();
  });

  it('adds the changelog section from --changelog-file', async () => {
    writeFileSync(
      path.join(dir, 'CHANGELOG.md'),
      '# Changelog\n\n## 20260429.1\n- new\n\n## 20260428.0\n- old\n',
    );
    const result = await runCli([...FLAGS, '--changelog-file', 'CHANGELOG.md'], dir, env);
    expect(result.code).toBe(0);
    const description = fake.mergeRequests[0]?.description ?? '';
    expect(description).toContain('## 20260429.1\n- new');
    expect(description).not.toContain('- old');
  });
});
