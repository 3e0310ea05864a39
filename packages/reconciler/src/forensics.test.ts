import { FakeEngine } from '@stow/docker-planner/testing';
import { describe, expect, it } from 'vitest';
import { FailureForensics, FORENSIC_MAX_CONTAINERS, FORENSIC_MAX_LINE } from './forensics.js';
import { jsonLinesLog } from './reconcile-log.js';
import { redactorOf } from './secret-redactor.js';

const HASH = 'f'.repeat(64);
const SECRET = 'hunter2-is-the-password';
const redact = redactorOf([SECRET]);

function setup(timeoutMs?: number) {
  const engine = new FakeEngine();
  const lines: string[] = [];
  const forensics = new FailureForensics(
    engine,
    jsonLinesLog((line) => lines.push(line)),
    timeoutMs,
  );
  let id = 0;
  const add = (name: string, state: Partial<Parameters<FakeEngine['addContainer']>[0]> = {}) =>
    engine.addContainer({
      id: `c-${++id}`,
      name,
      state: 'exited',
      labels: { 'stow.hash': `v1:${HASH}` },
      exitCode: 1,
      ...state,
    });
  return { engine, forensics, lines, add };
}

const probe = (output: string) => ({ exitCode: 1, output, start: undefined, end: undefined });

describe('failure forensics', () => {
  it('records only the failed containers of the failed deployment', async () => {
    const { forensics, add } = setup();
    add('exited', { exitCode: 3 });
    add('oom', { exitCode: 137, oomKilled: true });
    add('crash-loop', { state: 'running', exitCode: 0, restartCount: 2 });
    add('never-healthy', { state: 'running', health: { status: 'starting', failingStreak: 0, log: [] } });
    add('healthy', { state: 'running', health: { status: 'healthy', failingStreak: 0, log: [probe('ok')] } });
    add('running', { state: 'running', exitCode: 0 });
    add('never-started', { state: 'created', exitCode: 0 });
    add('other-deployment', { labels: { 'stow.hash': `v1:${'0'.repeat(64)}` } });
    const names = [
      'exited',
      'oom',
      'crash-loop',
      'never-healthy',
      'healthy',
      'running',
      'never-started',
      'other-deployment',
      'missing',
    ];
    await forensics.captureFailed(names, HASH, redact);
    expect(forensics.captured.map((c) => c.summary)).toEqual([
      { name: 'exited', exit_code: 3, oom_killed: false, health: null, has_logs: true },
      { name: 'oom', exit_code: 137, oom_killed: true, health: null, has_logs: true },
      { name: 'crash-loop', exit_code: null, oom_killed: false, health: null, has_logs: true },
      { name: 'never-healthy', exit_code: null, oom_killed: false, health: 'starting', has_logs: true },
    ]);
  });

  it('keeps the last 50 lines and 5 probe outputs, redacted before they are cut', async () => {
    const { forensics, add } = setup();
    const logs = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    // A secret that straddles the cut: redacted first, so no part of it survives.
    logs.push(`${'x'.repeat(FORENSIC_MAX_LINE - 5)}${SECRET} and more`);
    const probes = Array.from({ length: 7 }, (_, i) => probe(`probe ${i}: token ${SECRET}\n`));
    add('web', {
      state: 'running',
      logs: `${logs.join('\n')}\n`,
      health: { status: 'unhealthy', failingStreak: 7, log: probes },
    });
    await forensics.captureFailed(['web'], HASH, redact);
    const captured = forensics.captured[0]?.logs;
    expect(captured?.log_lines).toHaveLength(50);
    expect(captured?.log_lines[0]).toBe('line 11');
    expect(captured?.log_lines.at(-1)).toBe(`${'x'.repeat(FORENSIC_MAX_LINE - 5)}[REDA…`);
    expect(captured?.health_outputs).toEqual([2, 3, 4, 5, 6].map((i) => `probe ${i}: token [REDACTED]`));
    expect(JSON.stringify(forensics.captured)).not.toContain(SECRET.slice(0, 4));
  });

  it(`records at most ${FORENSIC_MAX_CONTAINERS} containers`, async () => {
    const { forensics, add } = setup();
    const names = Array.from({ length: FORENSIC_MAX_CONTAINERS + 3 }, (_, i) => `c${i}`);
    for (const name of names) add(name);
    await forensics.captureFailed(names, HASH, redact);
    await forensics.capture('c0', 'job:late', redact);
    expect(forensics.captured.map((c) => c.summary.name)).toEqual(names.slice(0, FORENSIC_MAX_CONTAINERS));
  });

  it('an engine that does not answer: gives up within the bound, records nothing, says so', async () => {
    const { engine, forensics, lines, add } = setup(50);
    add('web');
    engine.inspectContainer = () => new Promise(() => {});
    await forensics.captureFailed(['web', 'db'], HASH, redact);
    expect(forensics.captured).toEqual([]);
    expect(lines.filter((line) => line.includes('could not record the forensics'))).toHaveLength(2);
  });
});
