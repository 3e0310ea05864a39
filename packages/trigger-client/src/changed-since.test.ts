import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDaemonBaseUrl, triggerChangedSince } from './changed-since.js';
import { changedDeployments, deploymentDirs } from './deployments.js';
import { TriggerError } from './errors.js';
import type { TriggerOptions } from './trigger.js';

describe('deploymentDirs / changedDeployments', () => {
  const files = [
    'README.md',
    'host-a/stow.yaml',
    'host-a/config/x.conf',
    'host-b/stow.yaml',
    'host-b/nested/stow.yaml',
    'docs/a.md',
  ];
  it('finds the directories holding a stow.yaml', () => {
    expect(deploymentDirs(files)).toEqual(['host-a', 'host-b', 'host-b/nested']);
    expect(deploymentDirs(['stow.yaml', 'x'])).toEqual(['.']);
  });
  it('maps each changed path to the deepest deployment directory holding it', () => {
    const dirs = deploymentDirs(files);
    expect(changedDeployments(['host-a/config/x.conf'], dirs)).toEqual(['host-a']);
    expect(changedDeployments(['host-b/nested/a', 'host-b/stow.yaml'], dirs)).toEqual([
      'host-b',
      'host-b/nested',
    ]);
    expect(changedDeployments(['README.md', 'host-ab/x', 'docs/a.md'], dirs)).toEqual([]);
  });
});

describe('readDaemonBaseUrl', () => {
  it('reads only deployment.daemonBaseUrl', () => {
    expect(readDaemonBaseUrl('deployment: { name: x, daemonBaseUrl: "https://h:1/" }\n', 'f')).toBe(
      'https://h:1/',
    );
    expect(readDaemonBaseUrl('deployment: { name: x }\n', 'f')).toBeUndefined();
    expect(() => readDaemonBaseUrl('deployment: [', 'a/stow.yaml')).toThrow(
      /a\/stow\.yaml: YAML syntax error/,
    );
    expect(() => readDaemonBaseUrl('deployment: { daemonBaseUrl: 3 }', 'f')).toThrow(/not a URL string/);
  });
});

describe('triggerChangedSince in a git checkout', () => {
  let dir: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  const commit = (files: Record<string, string>, message: string) => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    git('add', '-A');
    git('commit', '-q', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const calls: TriggerOptions[] = [];
  const trigger = async (options: TriggerOptions) => {
    calls.push(options);
    if (options.baseUrl.includes('down'))
      throw new TriggerError('GAVE_UP', `POST ${options.baseUrl}: gave up`, { url: options.baseUrl });
    return { url: options.baseUrl, status: 202, attempts: 1, body: { state: 'queued' } };
  };
  let first: string;
  beforeEach(() => {
    calls.length = 0;
    dir = mkdtempSync(path.join(tmpdir(), 'stow-changed-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@stow.invalid');
    git('config', 'user.name', 't');
    first = commit(
      {
        'host-a/stow.yaml': 'deployment: { name: a, daemonBaseUrl: "https://a.example:17403/" }\n',
        'host-b/stow.yaml': 'deployment: { name: b, daemonBaseUrl: "https://b.example:17403" }\n',
        'host-c/stow.yaml': 'deployment: { name: c }\n',
        'README.md': 'x\n',
      },
      'seed',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('triggers only the changed deployments with HEAD', async () => {
    const head = commit({ 'host-a/config/app.env': 'A=1\n', 'README.md': 'y\n' }, 'change a');
    const report = await triggerChangedSince({
      cwd: path.join(dir, 'host-b'),
      since: first,
      trigger,
      token: 't',
    });
    expect(report.head).toBe(head);
    expect(report.outcomes.map((o) => [o.dir, o.kind])).toEqual([['host-a', 'accepted']]);
    expect(calls).toEqual([
      expect.objectContaining({ baseUrl: 'https://a.example:17403/', headHash: head, token: 't' }),
    ]);
  });

  it('skips deployments without daemonBaseUrl, with a note', async () => {
    commit({ 'host-c/x': '1\n', 'host-b/y': '1\n' }, 'change b c');
    const report = await triggerChangedSince({ cwd: dir, since: first, trigger });
    expect(report.outcomes).toEqual([
      expect.objectContaining({ dir: 'host-b', kind: 'accepted' }),
      { dir: 'host-c', kind: 'skipped', reason: 'host-c/stow.yaml has no deployment.daemonBaseUrl' },
    ]);
  });

  it('an all-zero sha (new branch) or an unknown sha triggers every deployment', async () => {
    for (const since of ['0'.repeat(40), 'f'.repeat(40)]) {
      calls.length = 0;
      const report = await triggerChangedSince({ cwd: dir, since, trigger });
      expect(report.outcomes.map((o) => `${o.dir}:${o.kind}`)).toEqual([
        'host-a:accepted',
        'host-b:accepted',
        'host-c:skipped',
      ]);
      expect(report.selection).toMatch(/^all deployments/);
    }
  });

  it('nothing changed: nothing triggered; a failing daemon is reported and the others still run', async () => {
    expect((await triggerChangedSince({ cwd: dir, since: first, trigger })).outcomes).toEqual([]);
    commit(
      {
        'host-a/stow.yaml': 'deployment: { name: a, daemonBaseUrl: "https://down.example/" }\n',
        'host-b/z': '1\n',
      },
      'two',
    );
    const report = await triggerChangedSince({ cwd: dir, since: first, trigger });
    expect(report.outcomes.map((o) => `${o.dir}:${o.kind}`)).toEqual(['host-a:failed', 'host-b:accepted']);
  });

  it('refuses a bad sha and a directory outside git', async () => {
    await expect(triggerChangedSince({ cwd: dir, since: 'HEAD~1', trigger })).rejects.toThrow(
      /is not a commit sha/,
    );
    const outside = mkdtempSync(path.join(tmpdir(), 'stow-nogit-'));
    try {
      await expect(triggerChangedSince({ cwd: outside, since: first, trigger })).rejects.toMatchObject({
        code: 'GIT_FAILED',
      });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
