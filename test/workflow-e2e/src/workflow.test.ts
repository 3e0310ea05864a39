import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeGitlab, type FakeGitlab } from '@stow/fake-gitlab';
import { loadTestHost, pullImage, type TestHost } from '@stow/test-host';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsGet, lockedConfigDir, startDaemon, waitFor } from './support/daemon-process.js';
import { MERGE_TEMPLATE, STOW_CLI, stowOnPath } from './support/paths.js';
import { readPipeline, runJob, type TemplateJob } from './support/pipeline.js';

/**
 * The seed's workflow end to end: an image in the local registry -> `stow suggest-image` (real CLI
 * process) -> MR on the fake GitLab -> merge -> the merge template's script (`stow trigger
 * --changed-since`) -> the real daemon (HTTPS, locked-down config) -> real containers replaced and
 * verified -> the badge of the suggest commit reads `running`.
 *
 * The fake GitLab enforces GitLab.com's archive limit (5 a minute, then 429 without Retry-After)
 * throughout, and every badge is watched while it converges: none may ever read `error`.
 */
const id = randomBytes(3).toString('hex');
const deployment = `wf-${id}`;
const web = `wf-web-${id}`;
const subfolder = `host-${id}`;
const RW_TOKEN = `glpat-wf-rw-${id}`;
const RO_TOKEN = `glpat-wf-ro-${id}`;
const HEALTHCHECK =
  '{ test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:8080/health"], interval: 1s, timeout: 1s, retries: 2 }';

let host: TestHost;
let fake: FakeGitlab;
let work: string;
let daemon: ReturnType<typeof startDaemon> | undefined;
let port: number;
let ca: Buffer;
let seedSha: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });

function stowYaml(image: string): string {
  return `# ${subfolder}: managed by stow
deployment:
  name: ${deployment}
  daemonBaseUrl: https://127.0.0.1:${port}/   # badges and the merge pipeline
  verify: { stableSeconds: 2, timeoutSeconds: 30 }
containers:
  ${web}:
    image: ${image}   # pinned by suggest-image
    init: true
    restart: unless-stopped
    healthcheck: ${HEALTHCHECK}
`;
}

/** Runs the built CLI as a real process (asynchronously: the fake GitLab lives in this process). */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = work,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [STOW_CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** Every badge state seen per commit, sampled in the background while the workflow runs. */
const badgeStates = new Map<string, string[]>();
let watching: NodeJS.Timeout | undefined;
function watchBadge(sha: string): void {
  badgeStates.set(sha, badgeStates.get(sha) ?? []);
  watching ??= setInterval(() => {
    for (const [commit, seen] of badgeStates) {
      httpsGet(`https://127.0.0.1:${port}/gitlab.svg?git_hash=${commit}`, ca, 'image/svg+xml').then(
        (answer) => {
          const state = /aria-label="stow: ([a-z ]+)"/.exec(answer.body)?.[1];
          if (state && seen.at(-1) !== state) seen.push(state);
        },
        () => undefined,
      );
    }
  }, 400);
}

async function status(sha: string): Promise<string | undefined> {
  const answer = await httpsGet(`https://127.0.0.1:${port}/status?head_hash=${sha}`, ca);
  return (JSON.parse(answer.body) as { state?: string }).state;
}

beforeAll(async () => {
  host = await loadTestHost();
  work = mkdtempSync(path.join(tmpdir(), 'stow-workflow-'));
  port = await freePort();
  fake = await createFakeGitlab({
    repo: path.join(work, 'deployments.git'),
    project: 'ops/deployments',
    tokens: [
      { token: RW_TOKEN, scopes: ['api'], username: 'ci-bot' },
      { token: RO_TOKEN, scopes: ['read_api'], username: 'ci-bot' },
    ],
    users: [
      { id: 1, username: 'ci-bot' },
      { id: 146, username: 'alice' },
    ],
    // GitLab.com: 5 archive downloads a minute per user and project, then 429 without Retry-After.
    archiveLimit: { perMinute: 5 },
  });
  seedSha = await fake.commitFiles('main', {
    [`${subfolder}/stow.yaml`]: stowYaml(host.images['http-ok'].pinned),
    'README.md': 'ops\n',
  });
  // TLS pair and a locked-down config directory (root-owned, 0500/0400), as the daemon demands.
  selfSignedCertificate(work);
  ca = readFileSync(path.join(work, 'tls.crt'));
  const etc = lockedConfigDir(work, {
    'tls.crt': ca,
    'tls.key': readFileSync(path.join(work, 'tls.key')),
    'daemon.yaml': `gitlabBase: ${fake.apiUrl}
project: ops/deployments
gitlabToken: ${RO_TOKEN}
subfolder: ${subfolder}
listen: 127.0.0.1:${port}
tlsCrt: ${path.join(work, 'etc-stow', 'tls.crt')}
tlsKey: ${path.join(work, 'etc-stow', 'tls.key')}
stateDir: ${path.join(work, 'state')}
pollInterval: 1h
`,
  });
  rmSync(path.join(work, 'tls.key'));
  daemon = startDaemon(etc.configFile);
  watchBadge(seedSha);
  // The start reconcile brings the seed deployment up and verifies it.
  await waitFor(
    'the seed deployment to run',
    async () => ((await status(seedSha)) === 'running' ? true : undefined),
    120_000,
  );
}, 240_000);

afterAll(async () => {
  clearInterval(watching);
  await daemon?.stop();
  for (const c of await host.docker.listContainers({
    all: true,
    filters: { label: [`stow.deployment=${deployment}`] },
  })) {
    await host.docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await fake?.close();
  if (work) {
    execFileSync('chmod', ['-R', 'u+w', work]);
    rmSync(work, { recursive: true, force: true });
  }
}, 120_000);

describe('suggest-image -> MR -> merge -> merge pipeline -> daemon -> running', () => {
  it('deploys the pushed image and the suggest commit badge reads running', async () => {
    // 1. The application pipeline pushed http-ok:2; this Docker engine has it (pulled by tag).
    const pushed = host.images['http-ok-2'];
    await pullImage(host.docker, pushed.ref);

    // 2. stow suggest-image without --digest: Docker gives the registry digest.
    const suggest = await cli(
      [
        'suggest-image',
        '--project',
        'ops/deployments',
        '--subfolder',
        subfolder,
        '--container',
        web,
        '--image',
        pushed.ref,
        '--assign',
        'gitlab_user_id',
      ],
      { CI_API_V4_URL: fake.apiUrl, GITLAB_ACCESS_TOKEN: RW_TOKEN, GITLAB_USER_ID: '146' },
    );
    expect(suggest.stderr).toBe('');
    expect(suggest.code).toBe(0);
    expect(`${suggest.stdout}${suggest.stderr}`).not.toContain(RW_TOKEN);
    const branch = `suggest/${subfolder}/${web}`;
    const suggestSha = await fake.branchHead(branch);
    if (!suggestSha) throw new Error('no suggest branch');
    watchBadge(suggestSha);

    // 3. The MR: one-line diff pinning the real digest, the badge pointing at the suggest commit.
    const diff = execFileSync('git', ['--git-dir', fake.repo, 'diff', '--unified=0', seedSha, suggestSha], {
      encoding: 'utf8',
    });
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      `-    image: ${host.images['http-ok'].pinned}   # pinned by suggest-image`,
      `+    image: ${pushed.pinned}   # pinned by suggest-image`,
    ]);
    const mr = fake.mergeRequests.find((m) => m.sourceBranch === branch);
    expect(mr).toMatchObject({
      state: 'opened',
      removeSourceBranch: true,
      assigneeIds: [146],
      title: `${web}: 1 -> 2`,
    });
    const base = `https://127.0.0.1:${port}`;
    expect(mr?.description).toContain(
      `[![stow](${base}/gitlab.svg?git_hash=${suggestSha})](${base}/status?head_hash=${suggestSha})`,
    );

    // 4. Merge; the deployment repo's pipeline runs the template's script in a checkout of main.
    const mergeSha = await fake.merge(mr?.iid ?? 0);
    watchBadge(mergeSha);
    expect(await fake.branchHead(branch)).toBeNull(); // remove_source_branch
    const checkout = path.join(work, 'checkout');
    execFileSync('git', ['clone', '-q', '--branch', 'main', fake.repo, checkout]);
    const job = readPipeline(MERGE_TEMPLATE)['stow-trigger'] as TemplateJob;
    const bin = path.join(work, 'bin');
    execFileSync('mv', [stowOnPath(), bin]);
    const pipeline = await runJob(job, {
      cwd: checkout,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        CI_COMMIT_BRANCH: 'main',
        CI_DEFAULT_BRANCH: 'main',
        CI_COMMIT_BEFORE_SHA: seedSha,
        CI_COMMIT_SHA: mergeSha,
        STOW_CACERT: path.join(work, 'etc-stow', 'tls.crt'),
      },
    });
    expect(pipeline.stderr).toBe('');
    expect(pipeline.status).toBe(0);
    expect(pipeline.stdout).toContain(
      `${subfolder}: triggered ${base}/trigger?head_hash=${mergeSha}: HTTP 202`,
    );

    // 5. The daemon replaces the container with the new image and verifies it.
    await waitFor(
      'the merged deployment to run',
      async () => ((await status(mergeSha)) === 'running' ? true : undefined),
      150_000,
    );
    const inspected = await host.docker.getContainer(web).inspect();
    expect(inspected.Config.Image).toBe(pushed.pinned);
    expect(inspected.State.Status).toBe('running');

    // 6. The suggest commit holds the same deployment: its badge reads running.
    expect(await status(suggestSha)).toBe('running');
    const badge = await httpsGet(`${base}/gitlab.svg?git_hash=${suggestSha}`, ca, 'image/svg+xml');
    expect(badge.status).toBe(200);
    expect(badge.type).toContain('image/svg+xml');
    expect(badge.body).toContain('running');
    // The seed commit now differs from what runs.
    expect(await status(seedSha)).toBe('different');

    // Under the archive limit, no badge ever read error: pending while a commit waited its turn.
    await waitFor(
      'the badges to be sampled in their final state',
      async () => (badgeStates.get(suggestSha)?.at(-1) === 'running' ? true : undefined),
      30_000,
    );
    for (const [commit, seen] of badgeStates) {
      expect(seen, `badge states of ${commit}`).not.toContain('error');
      expect(seen.length, `badge states of ${commit}`).toBeGreaterThan(0);
    }
    expect(badgeStates.get(mergeSha)?.at(-1)).toBe('running');
    expect(badgeStates.get(seedSha)?.at(-1)).toBe('different');
    // GitLab's limit was met by pacing, not by failures: no archive request was refused.
    const archives = fake.requests.filter((r) => r.path.includes('repository/archive'));
    expect(archives.length).toBeGreaterThan(0);
    expect(archives.filter((r) => r.status === 429)).toEqual([]);
  });
});
