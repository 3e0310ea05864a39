import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FailedContainerLogs, HistoryEntry } from './history-entry.js';
import { type HistoryRun, openHistory } from './history-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-history-'));
  dirs.push(dir);
  return dir;
}

let next = 0;
/** A reconcile id of 12 hex digits, different each time. */
const newId = () => (++next).toString(16).padStart(12, '0');

function entry(overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: newId(),
    trigger: 'poll',
    started_at: '2026-04-28T10:00:00.000Z',
    finished_at: '2026-04-28T10:00:01.000Z',
    outcome: 'converged',
    count: 1,
    git_revision: 'a'.repeat(40),
    deployment_hash: 'd'.repeat(64),
    step: null,
    reason: null,
    actions: [{ container: 'app', action: 'replace', reason: 'missing' }],
    jobs: [],
    failed_containers: [],
    ...overrides,
  };
}

const run = (e: HistoryEntry, collapseKey?: string, logs: FailedContainerLogs[] = []): HistoryRun => ({
  entry: e,
  collapseKey,
  logs,
});

function failedRun(): HistoryRun {
  const e = entry({
    outcome: 'rolledBack',
    step: 'verify',
    reason: 'app: exited (code 1)',
    failed_containers: [{ name: 'app', exit_code: 1, oom_killed: false, health: null, has_logs: true }],
  });
  const logs = [
    { name: 'app', exit_code: 1, oom_killed: false, log_lines: ['starting', 'boom'], health_outputs: [] },
  ];
  return run(e, undefined, logs);
}

const ids = (entries: readonly HistoryEntry[]) => entries.map((e) => e.id);

describe('the history store', () => {
  it('keeps entries newest first and reads them back in a new store (a restart)', async () => {
    const dir = stateDir();
    const history = openHistory(dir);
    const first = entry();
    const failed = failedRun();
    await history.record(run(first));
    await history.record(failed);

    const reopened = openHistory(dir);
    expect(await reopened.list(10)).toEqual([failed.entry, first]);
    expect(ids(await reopened.list(1))).toEqual([failed.entry.id]);
    expect(await reopened.logs(failed.entry.id)).toEqual({ id: failed.entry.id, containers: failed.logs });
    expect(await reopened.logs(first.id)).toBeUndefined();
  });

  it('an empty or missing history lists nothing and creates nothing', async () => {
    const dir = stateDir();
    const history = openHistory(dir);
    expect(await history.list(5)).toEqual([]);
    expect(await history.logs('0'.repeat(12))).toBeUndefined();
    await expect(fs.stat(history.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('collapses consecutive runs with the same key into one growing entry', async () => {
    const history = openHistory(stateDir());
    const applied = entry();
    await history.record(run(applied));
    const noop = entry({ actions: [{ container: 'app', action: 'noop', reason: 'up to date' }] });
    await history.record(run(noop, 'converged:d'));
    await history.record(
      run(entry({ finished_at: '2026-04-28T11:00:00.000Z', git_revision: 'b'.repeat(40) }), 'converged:d'),
    );
    await history.record(run(entry({ finished_at: '2026-04-28T12:00:00.000Z' }), 'converged:d'));

    const [newest, ...rest] = await history.list(10);
    expect(rest).toEqual([applied]);
    // The first of the run keeps its id and start; the last gives the end and the commit.
    expect(newest).toEqual({
      ...noop,
      count: 3,
      finished_at: '2026-04-28T12:00:00.000Z',
      git_revision: 'a'.repeat(40),
    });

    // Another key, or none, starts a new entry; the same key after it starts another.
    await history.record(run(entry({ outcome: 'quarantined' }), 'quarantined:e'));
    await history.record(run(entry(), 'converged:d'));
    expect((await history.list(10)).map((e) => [e.outcome, e.count])).toEqual([
      ['converged', 1],
      ['quarantined', 1],
      ['converged', 3],
      ['converged', 1],
    ]);
  });

  it('keeps the newest maxEntries and deletes the forensics of the entries it drops', async () => {
    const history = openHistory(stateDir(), { maxEntries: 3 });
    const runs = [failedRun(), failedRun(), run(entry()), failedRun(), run(entry())];
    for (const r of runs) await history.record(r);

    expect(ids(await history.list(10))).toEqual(ids(runs.slice(2).map((r) => r.entry)).reverse());
    const [oldest, second, , kept] = runs.map((r) => r.entry.id);
    expect(await history.logs(oldest as string)).toBeUndefined();
    expect(await history.logs(second as string)).toBeUndefined();
    expect(await history.logs(kept as string)).toMatchObject({ id: kept });
    // Three entries and the one forensics file left: nothing else on disk.
    expect(await fs.readdir(history.dir)).toHaveLength(4);
  });

  it('a corrupt or torn file loses nothing else, is reported, and is never misread', async () => {
    const problems: string[] = [];
    const dir = stateDir();
    const history = openHistory(dir, { onProblem: (p) => problems.push(p) });
    const older = entry();
    const newer = run(entry(), 'converged:d');
    await history.record(run(older));
    await history.record(newer);
    const files = (await fs.readdir(history.dir)).sort();
    const newest = path.join(history.dir, files.at(-1) as string);
    // A write torn in the middle (as a crash on a file system without ordered renames would leave).
    const text = await fs.readFile(newest, 'utf8');
    await fs.writeFile(newest, text.slice(0, text.length / 2));
    // A file of a later format, and one whose field has the wrong type.
    await fs.writeFile(path.join(history.dir, '0000000009-00000000000f.json'), '{"format":2}\n');
    await fs.writeFile(
      path.join(history.dir, '0000000010-0000000000ff.json'),
      JSON.stringify({ format: 1, collapse: null, entry: { ...entry(), count: 'many' } }),
    );

    expect(await openHistory(dir, { onProblem: (p) => problems.push(p) }).list(10)).toEqual([older]);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain(
      '0000000010-0000000000ff.json is unreadable, skipped: count: expected a number',
    );
    expect(problems.join('\n')).toContain('format 2, expected 1');
    expect(problems.join('\n')).toContain('not JSON');

    // The next record does not collapse into the unreadable newest file: it adds one and says why.
    const after = entry();
    const reported = await history.record(run(after, 'converged:d'));
    expect(reported).toEqual([expect.stringMatching(/0000000010-0000000000ff\.json is unreadable/)]);
    expect(ids(await history.list(10))).toEqual([after.id, older.id]);
  });

  it('makes the directory 0700 and every file 0600, and clears temporary files a crash left', async () => {
    const history = openHistory(stateDir());
    await fs.mkdir(history.dir, { recursive: true, mode: 0o755 });
    await fs.chmod(history.dir, 0o755);
    await fs.writeFile(path.join(history.dir, '0000000001-000000000001.json.tmp-abc'), '{"form');
    await history.record(failedRun());
    expect((await fs.stat(history.dir)).mode & 0o777).toBe(0o700);
    const names = await fs.readdir(history.dir);
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(names).toHaveLength(2);
    for (const name of names) expect((await fs.stat(path.join(history.dir, name))).mode & 0o777).toBe(0o600);
  });

  it('does not read a file larger than its bound', async () => {
    const problems: string[] = [];
    const history = openHistory(stateDir(), { onProblem: (p) => problems.push(p) });
    await history.record(run(entry()));
    await fs.writeFile(path.join(history.dir, '0000000002-000000000abc.json'), ' '.repeat(1024 * 1024 + 1));
    expect(await history.list(10)).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/1048577 bytes, more than the 1048576/)]);
  });

  it('a write that fails throws, naming what, and leaves the entries it had', async () => {
    const dir = stateDir();
    const history = openHistory(dir);
    const kept = entry();
    await history.record(run(kept));
    const huge = entry({ reason: 'x'.repeat(1024 * 1024) });
    await expect(history.record(run(huge))).rejects.toThrow(
      /^history: the entry is \d+ bytes, more than 1048576$/,
    );
    expect(await history.list(10)).toEqual([kept]);

    const blocked = stateDir();
    await fs.mkdir(path.join(blocked, '.stow'));
    await fs.writeFile(path.join(blocked, '.stow/history'), 'not a directory');
    await expect(openHistory(blocked).record(run(entry()))).rejects.toThrow(
      `history: cannot create ${path.join(blocked, '.stow/history')}: `,
    );
  });

  it('refuses bad arguments with a message naming them', async () => {
    const history = openHistory(stateDir());
    await expect(history.list(0)).rejects.toThrow('history limit must be a positive integer (got 0)');
    await expect(history.list(1.5)).rejects.toThrow('history limit must be a positive integer (got 1.5)');
    expect(() => openHistory(stateDir(), { maxEntries: 0 })).toThrow(
      'history maxEntries must be a positive integer (got 0)',
    );
    await expect(history.record(run(entry({ id: '../../etc' })))).rejects.toThrow(
      'history: reconcile id "../../etc" is not 12 hex digits',
    );
    // An id that cannot name a file finds nothing (the daemon answers 404).
    expect(await history.logs('../../etc/passwd')).toBeUndefined();
  });
});
