import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeEngine } from '@stow/docker-planner/testing';
import { newKey, sopsEncrypt, writeKeyFile } from '@stow/sops-decrypt/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHistory } from './history-store.js';
import { exitCodeOf } from './outcome.js';
import type { ReconcileContext } from './reconcile-context.js';
import { jsonLinesLog } from './reconcile-log.js';
import { runReconcile } from './run-reconcile.js';
import { fakeSource, testContext } from './test-support/fakes.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const SECRET = 'planted-s3cret-value';
const image = (name: string) => `registry.example.com/${name}:1@sha256:${'a'.repeat(64)}`;

const keysDir = mkdtempSync(path.join(tmpdir(), 'stow-history-keys-'));
afterAll(() => rmSync(keysDir, { recursive: true, force: true }));
let keysFile = '';
let encryptedEnv = '';
beforeAll(async () => {
  const key = await newKey();
  const dir = keysDir;
  keysFile = await writeKeyFile(dir, [key]);
  encryptedEnv = await sopsEncrypt({
    format: 'dotenv',
    plaintext: `API_TOKEN=${SECRET}\n`,
    recipients: [key.recipient],
  });
});

/** Revision A runs app; B runs app and worker (which reads the SOPS-encrypted secrets/app.env), and `jobs`. */
function revisions(jobs = '') {
  const app = `  app:\n    image: ${image('app')}\n`;
  const worker = `  worker:\n    image: ${image('worker')}\n    envFiles: [secrets/app.env]\n`;
  return new Map<string, Record<string, string>>([
    [A, { 'stow.yaml': `deployment:\n  name: web\ncontainers:\n${app}` }],
    [
      B,
      {
        'stow.yaml': `deployment:\n  name: web\ncontainers:\n${app}${worker}${jobs ? `jobs:\n${jobs}` : ''}`,
        'secrets/app.env': encryptedEnv,
      },
    ],
  ]);
}

function setup(jobs = '', overrides: Partial<ReconcileContext> = {}) {
  let head = A;
  const engine = new FakeEngine();
  const lines: string[] = [];
  const test = testContext(
    fakeSource(revisions(jobs), () => head),
    engine,
    jsonLinesLog((line) => lines.push(line)),
  );
  cleanups.push(test.cleanup);
  const context: ReconcileContext = {
    ...test.context,
    secrets: { keysFile, sopsBinary: undefined },
    ...overrides,
  };
  return {
    engine,
    context,
    lines,
    stateDir: test.stateDir,
    setHead: (sha: string) => {
      head = sha;
    },
    reconcile: (trigger: 'poll' | 'manual' | 'trigger' = 'manual', extra: { dryRun?: boolean } = {}) =>
      runReconcile(context, { trigger, ...extra }),
    /** The history as a restarted daemon reads it. */
    history: () => openHistory(test.stateDir),
  };
}

/** Every file below `dir`, except the snapshots (which hold decrypted files by design), holding `needle`. */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const snapshots = path.join(dir, '.stow/snapshots');
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (!entry.isFile() || file.startsWith(`${snapshots}${path.sep}`)) continue;
    if ((await fs.readFile(file)).includes(needle)) found.push(path.relative(dir, file));
  }
  return found;
}

describe('the history of reconciles', () => {
  it('records a rollback with the forensics of the failed container, secrets redacted, taken before its removal', async () => {
    const s = setup();
    await s.reconcile();
    s.setHead(B);
    s.engine.script(
      { name: 'worker' },
      {
        kind: 'exits',
        exitCode: 137,
        oomKilled: true,
        logs: `connecting with API_TOKEN=${SECRET}\nallocating\nout of memory\n`,
      },
    );
    const outcome = await s.reconcile('trigger');
    expect(outcome).toMatchObject({ kind: 'rolledBack', step: 'verify' });
    expect(outcome).not.toHaveProperty('warnings');

    const history = s.history();
    const [entry, first] = await history.list(10);
    expect(first).toMatchObject({ outcome: 'converged', count: 1, trigger: 'manual', failed_containers: [] });
    expect(entry).toMatchObject({
      id: s.context.log.reconcileId,
      trigger: 'trigger',
      outcome: 'rolledBack',
      count: 1,
      git_revision: B,
      step: 'verify',
      reason: 'worker: exited (code 137, OOM killed)',
      actions: [
        { container: 'app', action: 'replace', reason: expect.any(String) },
        { container: 'worker', action: 'replace', reason: 'missing' },
      ],
      jobs: [],
      failed_containers: [{ name: 'worker', exit_code: 137, oom_killed: true, health: null, has_logs: true }],
    });
    expect(await history.logs(entry?.id as string)).toEqual({
      id: entry?.id,
      containers: [
        {
          name: 'worker',
          exit_code: 137,
          oom_killed: true,
          log_lines: ['connecting with API_TOKEN=[REDACTED]', 'allocating', 'out of memory'],
          health_outputs: [],
        },
      ],
    });
    // Looked at before the rollback removed it.
    const logsCall = s.engine.calls.findIndex((call) => /^logs c-\d+ tail=50$/.test(call));
    const workerId = s.engine.calls[logsCall]?.split(' ')[1];
    expect(logsCall).toBeGreaterThan(-1);
    expect(s.engine.calls.indexOf(`remove ${workerId}`)).toBeGreaterThan(logsCall);
    expect(await filesHolding(s.stateDir, SECRET)).toEqual([]);
  });

  it('keeps the last probe outputs of an unhealthy container, redacted', async () => {
    const s = setup();
    s.setHead(B);
    s.engine.script(
      { name: 'worker' },
      { kind: 'unhealthy', probeOutput: `GET /health: token ${SECRET} refused`, logs: 'up\n' },
    );
    expect(await s.reconcile()).toMatchObject({ kind: 'rolledBack', restoredDeploymentHash: undefined });
    const [entry] = await s.history().list(1);
    expect(entry?.failed_containers).toEqual([
      { name: 'worker', exit_code: null, oom_killed: false, health: 'unhealthy', has_logs: true },
    ]);
    expect((await s.history().logs(entry?.id as string))?.containers[0]).toMatchObject({
      log_lines: ['up'],
      health_outputs: Array(3).fill('GET /health: token [REDACTED] refused'),
    });
  });

  it('records a failed job (as job:<name>) with its redacted logs, taken before its container was removed', async () => {
    const job = `  migrate:\n    image: ${image('tools')}\n    envFiles: [secrets/app.env]\n    command: [migrate]\n`;
    const s = setup(job);
    await s.reconcile();
    s.setHead(B);
    s.engine.script(
      { image: image('tools') },
      { kind: 'completes', exitCode: 3, logs: `connecting\npassword ${SECRET} rejected\n` },
    );
    const outcome = await s.reconcile('trigger');
    expect(outcome).toMatchObject({ kind: 'rolledBack', step: 'job' });

    const [entry] = await s.history().list(1);
    expect(entry).toMatchObject({
      outcome: 'rolledBack',
      step: 'job',
      reason: 'job migrate (beforeApply) exited with code 3; last log line: password [REDACTED] rejected',
      jobs: [{ job: 'migrate', when: 'beforeApply', outcome: 'failed', exit_code: 3, duration_ms: 0 }],
      failed_containers: [
        { name: 'job:migrate', exit_code: 3, oom_killed: false, health: null, has_logs: true },
      ],
    });
    expect((await s.history().logs(entry?.id as string))?.containers).toEqual([
      {
        name: 'job:migrate',
        exit_code: 3,
        oom_killed: false,
        log_lines: ['connecting', 'password [REDACTED] rejected'],
        health_outputs: [],
      },
    ]);
    expect(s.engine.containers.size).toBe(1); // app, untouched; no job container left
    expect(await filesHolding(s.stateDir, SECRET)).toEqual([]);
  });

  it('collapses consecutive noops, and consecutive polls that keep the same quarantined hash out', async () => {
    const s = setup();
    await s.reconcile();
    await s.reconcile('poll');
    await s.reconcile('poll');
    s.setHead(B);
    s.engine.script({ name: 'worker' }, { kind: 'exits', exitCode: 1 });
    await s.reconcile('trigger');
    await s.reconcile('poll');
    await s.reconcile('poll');
    await s.reconcile('poll');

    const entries = await s.history().list(10);
    expect(entries.map((e) => [e.outcome, e.count, e.trigger])).toEqual([
      ['quarantined', 3, 'poll'],
      ['rolledBack', 1, 'trigger'],
      ['converged', 2, 'poll'],
      ['converged', 1, 'manual'],
    ]);
    expect(entries[0]).toMatchObject({ reason: 'worker: exited (code 1)', step: null, git_revision: B });
  });

  it('records a failure with what was known (the commit), not a dry run, not a run that never got the lock', async () => {
    const s = setup();
    expect(await s.reconcile('manual', { dryRun: true })).toMatchObject({ kind: 'planned' });
    expect(await s.history().list(10)).toEqual([]);

    const lock = await s.context.store.lock({ purpose: 'test', waitMs: 0 });
    const locked = await s.reconcile();
    await lock.release();
    expect(locked).toMatchObject({ kind: 'failed', step: 'lock' });
    expect(await s.history().list(10)).toEqual([]);

    const unknown = 'c'.repeat(40);
    const failed = await runReconcile(s.context, { trigger: 'manual', revision: unknown });
    expect(failed).toMatchObject({ kind: 'failed', step: 'fetch' });
    expect(await s.history().list(10)).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        git_revision: unknown,
        deployment_hash: null,
        step: 'fetch',
        reason: `unknown revision ${unknown}`,
        actions: [],
      }),
    ]);
  });

  it('a history that cannot be written is a warning beside the outcome, never a different outcome', async () => {
    const s = setup();
    await fs.mkdir(path.join(s.stateDir, '.stow'), { recursive: true });
    await fs.writeFile(path.join(s.stateDir, '.stow/history'), 'not a directory');
    const converged = await s.reconcile();
    expect(converged).toMatchObject({
      kind: 'converged',
      changed: true,
      warnings: [
        { step: 'history', reason: expect.stringMatching(/^history: cannot create .*\.stow\/history: /) },
      ],
    });
    expect(exitCodeOf(converged)).toBe(0);
    expect(s.lines.some((line) => line.includes('"step":"history"'))).toBe(true);

    // A corrupt newest file: the reconcile is recorded anyway and the file is named in a warning.
    await fs.rm(path.join(s.stateDir, '.stow/history'));
    await s.reconcile('poll');
    const [newest] = await fs.readdir(path.join(s.stateDir, '.stow/history'));
    await fs.writeFile(path.join(s.stateDir, '.stow/history', newest as string), '{"format":1,"ent');
    const noop = await s.reconcile('poll');
    expect(noop).toMatchObject({
      kind: 'converged',
      changed: false,
      warnings: [
        { step: 'history', reason: expect.stringContaining(`${newest} is unreadable, skipped: not JSON`) },
      ],
    });
    expect(await s.history().list(10)).toEqual([expect.objectContaining({ outcome: 'converged', count: 1 })]);

    // The same for a failure: still `failed` (exit 2), with the warning.
    await fs.rm(path.join(s.stateDir, '.stow/history'), { recursive: true });
    await fs.writeFile(path.join(s.stateDir, '.stow/history'), 'not a directory');
    const failed = await runReconcile(s.context, { trigger: 'manual', revision: 'c'.repeat(40) });
    expect(failed).toMatchObject({ kind: 'failed', step: 'fetch', warnings: [{ step: 'history' }] });
    expect(exitCodeOf(failed)).toBe(2);
  });

  it('logs that cannot be read in time leave the rest of the record, and the rollback goes on', async () => {
    const s = setup('', { forensicsTimeoutMs: 50 });
    s.setHead(B);
    s.engine.script({ name: 'worker' }, { kind: 'exits', exitCode: 1, logs: 'boom\n' });
    s.engine.containerLogs = () => new Promise<string>(() => {});
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'rolledBack', restoredDeploymentHash: undefined });
    expect(s.engine.containers.size).toBe(0);
    const [entry] = await s.history().list(1);
    expect(entry?.failed_containers).toEqual([
      { name: 'worker', exit_code: 1, oom_killed: false, health: null, has_logs: false },
    ]);
    expect(await s.history().logs(entry?.id as string)).toBeUndefined();
    const warned = /could not read the logs of a failed container.*"container":"worker".*ran out of time/;
    expect(s.lines.some((line) => warned.test(line))).toBe(true);
  });
});
