import { readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newKey, sopsEncrypt } from '@stow/sops-decrypt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithSiteVolume, type JobsDeploymentOptions, jobsDeployment } from './support/jobs-yaml.js';
import { CLI, runStow } from './support/run-stow.js';
import { Scenario } from './support/scenario.js';

// Jobs on the real engine: a migration writes the site into a named volume the new web container
// serves; a failing migration stops nothing; a failing smoke test rolls back; a noop runs no job;
// dependsOn decides the start order.
const s = new Scenario();
const SECRET = `db-pass-${s.id}`;
let secretsFile = '';
let goodHash = '';

const files = (options: JobsDeploymentOptions = {}) => ({
  'stow.yaml': jobsDeployment(s, options),
  'secrets/app.env': secretsFile,
});

async function web() {
  return s.inspect(s.name('web'));
}

/** GET / of web through its published port. */
async function served(): Promise<string> {
  const port = (await web()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
  const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

/** Containers of this deployment labelled stow.job: none may outlive its run. */
async function jobContainers() {
  const list = await s.docker.listContainers({
    all: true,
    filters: { label: [`stow.deployment=${s.deployment}`, 'stow.job'] },
  });
  return list.map((c) => c.Names[0]);
}

const runningConfig = () => readlinkSync(path.join(s.stateDir, 'running-config'));
const jobLogLines = () => s.logLines.filter((line) => /"msg":"job (starting|finished)"/.test(line));

beforeAll(async () => {
  const key = await newKey();
  const keys = path.join(s.stateDir, 'keys.txt');
  writeFileSync(keys, `${key.identity}\n`, { mode: 0o600 });
  secretsFile = await sopsEncrypt({
    format: 'dotenv',
    plaintext: `DB_PASSWORD=${SECRET}\n`,
    recipients: [key.recipient],
  });
  await s.start(`keys: ${keys}\n`);
});
afterAll(() => cleanupWithSiteVolume(s));

describe('jobs on the real engine', () => {
  it('a migration writes to the volume the new container serves, and its container is removed', async () => {
    await s.repo.commit(files());
    const dryRun = await runStow(
      process.execPath,
      [CLI],
      ['reconcile', '--config', s.configFile, '--dry-run', '--plan-json'],
    );
    expect(JSON.parse(dryRun.stdout).jobs).toEqual([{ job: 'migrate', action: 'run', when: 'beforeApply' }]);
    expect(await jobContainers()).toEqual([]);
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({
      kind: 'converged',
      jobs: [{ job: 'migrate', when: 'beforeApply', outcome: 'succeeded', exitCode: 0 }],
    });
    if (outcome.kind !== 'converged') throw new Error('unreachable');
    goodHash = outcome.deploymentHash;
    expect(await served()).toBe('v1\n');
    expect(await jobContainers()).toEqual([]);
    expect(jobLogLines().at(-1)).toMatch(
      /"job":"migrate".*"outcome":"succeeded".*"exit_code":0.*"duration_ms":\d+/,
    );
  });

  it('a noop reconcile runs no job', async () => {
    const before = jobLogLines().length;
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'converged', changed: false });
    expect(outcome).not.toHaveProperty('jobs');
    expect(jobLogLines()).toHaveLength(before);
  });

  it('a failing migration leaves the old containers untouched (same id, still serving), secrets redacted', async () => {
    const before = await web();
    await s.repo.commit(
      // Both lines on stderr (where migration tools report): the engine does not order lines of
      // stdout and stderr written in the same instant.
      files({ migrate: 'echo connecting >&2; echo "password $DB_PASSWORD rejected" >&2; exit 3' }),
    );
    const outcome = await s.reconcile({ trigger: 'trigger' });
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'job',
      restoredDeploymentHash: goodHash,
      reason: 'job migrate (beforeApply) exited with code 3; last log line: password [REDACTED] rejected',
      jobs: [{ job: 'migrate', outcome: 'failed', exitCode: 3 }],
    });
    const after = await web();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(await served()).toBe('v1\n');
    expect(runningConfig()).toBe(`.stow/snapshots/${goodHash}`);
    expect(await jobContainers()).toEqual([]);
    expect(s.logLines.join('\n')).not.toContain(SECRET);
    // Quarantined: a poll keeps the good deployment and runs no job.
    const jobsBefore = jobLogLines().length;
    expect(await s.reconcile({ trigger: 'poll' })).toMatchObject({ kind: 'quarantined' });
    expect(jobLogLines()).toHaveLength(jobsBefore);
  });

  it('a failing afterVerify smoke test rolls back to the previous deployment', async () => {
    const smoke = `  smoke:\n    image: ${s.image('busybox')}\n    command: [wget, -q, -O, /dev/null, "http://${s.name('web')}:8080/missing"]\n    networks: [${s.name('net')}]\n    when: afterVerify\n    timeoutSeconds: 20\n`;
    await s.repo.commit(files({ moreJobs: smoke }));
    const outcome = await s.reconcile({ trigger: 'trigger' });
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'job',
      restoredDeploymentHash: goodHash,
      jobs: [
        { job: 'migrate', outcome: 'succeeded' },
        { job: 'smoke', when: 'afterVerify', outcome: 'failed', exitCode: 1 },
      ],
    });
    if (outcome.kind !== 'rolledBack') throw new Error('unreachable');
    expect(outcome.reason).toMatch(/^job smoke \(afterVerify\) exited with code 1; last log line: .*404/);
    expect((await web()).Config.Labels['stow.hash']).toBe(`v1:${goodHash}`);
    expect(await served()).toBe('v1\n');
    expect(runningConfig()).toBe(`.stow/snapshots/${goodHash}`);
    expect(await jobContainers()).toEqual([]);
  });

  it('starts containers in dependsOn order, each after its dependencies run and are healthy', async () => {
    // Listed against the start order: manifest order alone would start cache first.
    const HEALTHY = `{ test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:8080/health"], interval: 1s, timeout: 1s, retries: 2 }`;
    const containersBefore = `  ${s.name('cache')}:\n    image: ${s.image('busybox')}\n    command: [sleep, "3600"]\n    init: true\n    dependsOn: [${s.name('web')}]\n  ${s.name('db')}:\n    image: ${s.image('http-ok-2')}\n    init: true\n    healthcheck: ${HEALTHY}\n`;
    await s.repo.commit(
      files({
        migrate: 'echo v2 > /data/index.html && echo ok > /data/health',
        containersBefore,
        webDependsOn: [s.name('db')],
      }),
    );
    const outcome = await s.reconcile({ trigger: 'trigger' });
    expect(outcome).toMatchObject({ kind: 'converged' });
    expect(await served()).toBe('v2\n');
    const startedAt = async (name: string) => Date.parse((await s.inspect(s.name(name))).State.StartedAt);
    const db = await s.inspect(s.name('db'));
    const healthyAt = Date.parse(
      db.State.Health?.Log?.find((probe) => probe.ExitCode === 0)?.End ?? 'no healthy probe',
    );
    // web started only once db was healthy; cache only once web was.
    expect(await startedAt('db')).toBeLessThan(await startedAt('web'));
    expect(healthyAt).toBeLessThanOrEqual(await startedAt('web'));
    expect(await startedAt('web')).toBeLessThan(await startedAt('cache'));
  });
});
