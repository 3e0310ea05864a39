import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERGE_TEMPLATE, SUGGEST_TEMPLATE, stowOnPath } from './support/paths.js';
import { readPipeline, ruleMatches, runJob, type TemplateJob } from './support/pipeline.js';

/** Two fake daemons (HTTPS, one CA) recording the triggers they get. */
let dir: string;
let caFile: string;
const daemons: Array<{ server: Server; url: string; hits: string[] }> = [];
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stow-ci-template-'));
  const tls = selfSignedCertificate(dir);
  caFile = tls.certFile;
  for (let i = 0; i < 2; i += 1) {
    const hits: string[] = [];
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"state":"queued"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    daemons.push({ server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, hits });
  }
});
const cleanups: Array<() => void> = [];
afterAll(async () => {
  for (const cleanup of cleanups) cleanup();
  for (const d of daemons) {
    d.server.closeAllConnections();
    await new Promise((resolve) => d.server.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('ci/stow-merge-gitlab-ci.yaml', () => {
  const pipeline = readPipeline(MERGE_TEMPLATE);
  const job = pipeline['stow-trigger'] as TemplateJob;

  it('is one job for pushes to the default branch only that calls stow trigger --changed-since', () => {
    expect(job.rules).toHaveLength(1);
    const rule = job.rules?.[0]?.if ?? '';
    const push = { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_DEFAULT_BRANCH: 'main' };
    expect(ruleMatches(rule, push)).toBe(true);
    expect(ruleMatches(rule, { ...push, CI_COMMIT_BRANCH: 'feature' })).toBe(false);
    // Merge request pipelines have no CI_COMMIT_BRANCH.
    expect(ruleMatches(rule, { CI_PIPELINE_SOURCE: 'merge_request_event', CI_DEFAULT_BRANCH: 'main' })).toBe(
      false,
    );
    // Only pushes: schedules and manual runs carry an all-zero before-sha; API, trigger and
    // downstream pipelines of the default branch do not deploy either.
    for (const source of ['schedule', 'web', 'api', 'trigger', 'pipeline']) {
      expect(ruleMatches(rule, { ...push, CI_PIPELINE_SOURCE: source }), source).toBe(false);
    }
    expect(job.script).toContain('stow trigger --changed-since "$CI_COMMIT_BEFORE_SHA"');
    expect(job.variables?.GIT_DEPTH).toBe('0');
  });

  it("declares no stages: an included stages list would replace the includer's", () => {
    expect(pipeline).not.toHaveProperty('stages');
    // `deploy` is one of GitLab's default stages, so an includer without `stages:` still runs it.
    expect((job as { stage?: string }).stage).toBe('deploy');
  });

  it("runs the template's script in a checkout: only changed deployments, then every one for a zero sha", async () => {
    const repo = path.join(dir, 'deployments');
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      writeFileSync(path.join(repo, file), text);
    };
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@stow.invalid');
    git('config', 'user.name', 'ci');
    write(
      'host-a/stow.yaml',
      `deployment:\n  name: a\n  daemonBaseUrl: ${daemons[0]?.url}\ncontainers: {}\n`,
    );
    write(
      'host-b/stow.yaml',
      `deployment:\n  name: b\n  daemonBaseUrl: ${daemons[1]?.url}\ncontainers: {}\n`,
    );
    write('host-c/stow.yaml', 'deployment:\n  name: c\ncontainers: {}\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'seed');
    const before = git('rev-parse', 'HEAD');
    write('host-b/config/app.env', 'A=2\n');
    write('docs/readme.md', 'x\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'change host-b');
    const head = git('rev-parse', 'HEAD');
    const bin = stowOnPath();
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      CI_COMMIT_BRANCH: 'main',
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_BEFORE_SHA: before,
      CI_COMMIT_SHA: head,
      STOW_CACERT: caFile,
      STOW_TRIGGER_TOKEN: 'template-trigger-token',
    };
    const changed = await runJob(job, { cwd: repo, env });
    expect(changed.stderr).toBe('');
    expect(changed.status).toBe(0);
    expect(changed.stdout).toContain(`stow: default branch main moved ${before} -> ${head}`);
    expect(daemons[0]?.hits).toEqual([]);
    expect(daemons[1]?.hits).toEqual([`POST /trigger?head_hash=${head} Bearer template-trigger-token`]);

    const fresh = await runJob(job, { cwd: repo, env: { ...env, CI_COMMIT_BEFORE_SHA: '0'.repeat(40) } });
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toContain('host-c: skipped: host-c/stow.yaml has no deployment.daemonBaseUrl');
    expect(daemons[0]?.hits).toEqual([`POST /trigger?head_hash=${head} Bearer template-trigger-token`]);
    expect(daemons[1]?.hits).toHaveLength(2);
  });
});

describe('ci/stow-suggest-image-gitlab-ci.yaml', () => {
  it('parses, and its suggest-image command carries the required flags', () => {
    const pipeline = readPipeline(SUGGEST_TEMPLATE);
    const job = pipeline['suggest-image'] as TemplateJob;
    const command = job.script.join(' ');
    for (const flag of ['--project', '--subfolder', '--container', '--image', '--digest']) {
      expect(command).toContain(flag);
    }
    expect(command).toMatch(/^stow suggest-image /);
    expect((pipeline['build-image'] as TemplateJob).script.some((l) => l.includes('RepoDigests'))).toBe(true);
  });

  it('runs Docker-in-Docker with TLS: DOCKER_TLS_CERTDIR "/certs" beside the dind service', () => {
    const build = readPipeline(SUGGEST_TEMPLATE)['build-image'] as TemplateJob & { services?: string[] };
    expect(build.services?.some((s) => s.includes('dind'))).toBe(true);
    expect(build.variables?.DOCKER_TLS_CERTDIR).toBe('/certs');
  });
});
