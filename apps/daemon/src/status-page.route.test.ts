import { Secret } from '@stow/manifest';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusPageSourcesOptions } from './status-page/sources.js';
import { buildTestApp } from './test-support/build-test-app.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';
import { restoredContainers, rollbackHistory } from './test-support/status-page-fixtures.js';

const OLD = sha('1');
const HEAD = sha('2');
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** A host that ran OLD, was asked for HEAD, failed verification and rolled back. */
function rolledBackHost() {
  const backend = new FakeBackend(
    { [OLD]: { deploymentHash: hash('a') }, [HEAD]: { deploymentHash: hash('b') } },
    HEAD,
  );
  backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: OLD, deploymentName: 'web' };
  backend.failing.set(hash('b'), 'webapp: unhealthy after 60 s');
  backend.engineContainers = restoredContainers(Date.now());
  backend.historyEntries.push(...rollbackHistory(Date.now(), { old: OLD, head: HEAD }));
  return backend;
}

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()?.close();
});
async function setup(
  backend: FakeBackend,
  statusPage: Omit<StatusPageSourcesOptions, 'backend' | 'logger'> = {},
) {
  const built = await buildTestApp(backend, { statusPage });
  apps.push(built.app);
  await built.app.inject({ method: 'POST', url: `/trigger?head_hash=${HEAD}` });
  await built.core.idle();
  return built;
}

describe('GET /status as a page', () => {
  it('after a rollback: the state and reason, the containers, the last deploy and the failed entry', async () => {
    const backend = rolledBackHost();
    const { app } = await setup(backend);
    const page = await app.inject({ url: `/status?head_hash=${HEAD}`, headers: HTML });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<span class="state" id="state">error</span>');
    expect(page.body).toContain('webapp: unhealthy after 60 s');
    expect(page.body).toContain('<code>registry.example.com/apps/webapp:20260427.2</code>');
    expect(page.body).toMatch(
      /<section id="last-deploy">[\s\S]*image changed \(20260427\.2 -&gt; 20260428\.0\)/,
    );
    expect(page.body).toMatch(/id="timeline-table"[\s\S]*<span class="pill bad">rolledBack<\/span>/);
    expect(page.body).not.toContain('<meta http-equiv="refresh"');
  });

  it('the JSON answer keeps its contract and never asks the engine', async () => {
    const backend = rolledBackHost();
    const { app } = await setup(backend);
    const json = await app.inject({ url: `/status?head_hash=${HEAD}` });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(json.json()).sort()).toEqual(
      [
        'error',
        'expected_deployment_hash',
        'head_hash',
        'reconcile',
        'running_deployment_hash',
        'running_git_revision',
        'state',
      ].sort(),
    );
    expect(backend.containersCalls).toBe(0);
  });

  it('100 page loads ask the engine once (its answer is shared for a few seconds)', async () => {
    const backend = rolledBackHost();
    const { app } = await setup(backend, { containersTtlMs: 60_000 });
    const pages = await Promise.all(
      Array.from({ length: 100 }, () => app.inject({ url: `/status?head_hash=${HEAD}`, headers: HTML })),
    );
    for (const page of pages) expect(page.body).toContain('id="containers-table"');
    expect(backend.containersCalls).toBe(1);
  });

  it('the engine down: the page still answers, says so, and the log says why once', async () => {
    const backend = rolledBackHost();
    backend.engineContainers = Object.assign(
      new Error('listing containers: Docker engine unreachable (ENOENT)'),
      { code: 'ENGINE_UNREACHABLE' },
    );
    const { app, log } = await setup(backend, { containersTtlMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const page = await app.inject({ url: '/status', headers: HTML });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('The Docker engine cannot be reached (ENGINE_UNREACHABLE)');
      expect(page.body).not.toContain('ENOENT'); // the engine's own words stay in the log
      expect(page.body).toContain('id="timeline-table"');
    }
    const warnings = log.lines.filter((line) => line.includes('status page: the Docker engine'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Docker engine unreachable (ENOENT)');
  });

  it('an engine that hangs: the page answers after the time bound and asks no second time', async () => {
    const backend = rolledBackHost();
    let asked = 0;
    backend.containers = () => {
      asked++;
      return new Promise(() => {}); // never answers
    };
    const { app } = await setup(backend, { timeoutMs: 50 });
    for (let i = 0; i < 3; i++) {
      const page = await app.inject({ url: `/status?head_hash=${HEAD}`, headers: HTML });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('The Docker engine did not answer within 0.05 s');
    }
    expect(asked).toBe(1);
  });

  it('links commits to GitLab when the source is GitLab, never otherwise', async () => {
    const gitlab = {
      kind: 'gitlab' as const,
      apiUrl: 'https://gitlab.example.com/api/v4',
      project: 'ops/deployments',
      token: new Secret('glpat-never-shown'),
    };
    const linked = await setup(rolledBackHost(), { source: gitlab });
    const page = await linked.app.inject({ url: `/status?head_hash=${HEAD}`, headers: HTML });
    expect(page.body).toContain(`href="https://gitlab.example.com/ops/deployments/-/commit/${HEAD}"`);
    expect(page.body).not.toContain('glpat-never-shown');
    const plain = await setup(rolledBackHost(), {
      source: { kind: 'git', repository: '/srv/deployments.git', branch: undefined },
    });
    const unlinked = await plain.app.inject({ url: `/status?head_hash=${HEAD}`, headers: HTML });
    expect(unlinked.body).not.toContain('<a ');
  });
});
