import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from './support/scenario.js';
import { webDeployment } from './support/stow-yaml.js';

const CLI = fileURLToPath(new URL('../../../apps/stow/dist/cli.js', import.meta.url));
const s = new Scenario();
let revision = 0;
const nextRevision = () => ({
  'stow.yaml': webDeployment(s, { verify: '{ stableSeconds: 3, timeoutSeconds: 20 }' }),
  'config/web.env': '',
  'config/site.txt': `revision ${++revision}\n`,
});

beforeAll(async () => {
  await s.start();
  await s.repo.commit(nextRevision());
  const outcome = await s.reconcile();
  if (outcome.kind !== 'converged') throw new Error(`first deploy failed: ${JSON.stringify(outcome)}`);
});
afterAll(async () => {
  await s.cleanup();
});

/** Runs `stow reconcile` as a real process and SIGKILLs it when a log line matches `when`. */
function reconcileKilledAt(
  when: (entry: { msg: string; [key: string]: unknown }) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'reconcile', '--config', s.configFile, '--log-json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffer = '';
    let killedAt = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        try {
          const entry = JSON.parse(line);
          if (!killedAt && when(entry)) {
            killedAt = entry.msg;
            child.kill('SIGKILL');
          }
        } catch {
          // not a log line
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(killedAt);
      else reject(new Error(`stow reconcile finished before the kill point (exit ${_code})`));
    });
  });
}

async function expectRecovered() {
  const outcome = await s.reconcile({ trigger: 'start' });
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ kind: 'converged' });
  if (outcome.kind !== 'converged') throw new Error('unreachable');
  const managed = await s.managed();
  expect([...managed.keys()].sort()).toEqual([s.name('web'), s.name('worker')].sort());
  for (const [name, container] of managed) {
    expect(container.State, name).toBe('running');
    expect(container.Labels['stow.hash'], name).toBe(`v1:${outcome.deploymentHash}`);
  }
  expect(existsSync(path.join(s.stateDir, 'running-config.previous'))).toBe(false);
  expect(readdirSync(path.join(s.stateDir, '.stow/staging'))).toEqual([]);
  // No container of this scenario exists outside the managed set (no orphans).
  const all = await s.docker.listContainers({ all: true });
  expect(all.filter((c) => c.Names.some((n) => n.endsWith(`-${s.id}`))).length).toBe(2);
}

describe('kill -9 during an apply, then the next run', () => {
  it.each<[string, (entry: { msg: string; [key: string]: unknown }) => boolean]>([
    ['right after the running-config switch', (e) => e.msg === 'applying'],
    ['between removing the old containers and creating the new ones', (e) => e.msg === 'docker remove'],
    ['during verification', (e) => e.msg === 'verifying'],
  ])('recovers to a verified state with no orphans when killed %s', async (_point, when) => {
    await s.repo.commit(nextRevision());
    const killedAt = await reconcileKilledAt(when);
    expect(killedAt).not.toBe('');
    await expectRecovered();
  });
});
