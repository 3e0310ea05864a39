import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWithSiteVolume, jobsDeployment } from './support/jobs-yaml.js';
import { CLI } from './support/run-stow.js';
import { Scenario } from './support/scenario.js';

// kill -9 of `stow reconcile` while a job container runs: the next run's recovery removes it.
const s = new Scenario();
const files = (migrate: string) => ({
  'stow.yaml': jobsDeployment(s, { migrate }),
  'secrets/app.env': 'DB_PASSWORD=unencrypted-here\n',
});

async function jobContainers() {
  const list = await s.docker.listContainers({
    all: true,
    filters: { label: [`stow.deployment=${s.deployment}`, 'stow.job'] },
  });
  return list.map((c) => c.Id);
}

beforeAll(async () => {
  await s.start();
  await s.repo.commit(files('echo v1 > /data/index.html && echo ok > /data/health'));
  const outcome = await s.reconcile();
  if (outcome.kind !== 'converged') throw new Error(`first deploy failed: ${JSON.stringify(outcome)}`);
});
afterAll(() => cleanupWithSiteVolume(s));

describe('kill -9 during a job', () => {
  it('recovers with no job container left and the deployment converged', async () => {
    await s.repo.commit(files('sleep 4; echo v2 > /data/index.html && echo ok > /data/health'));
    const child = spawn(process.execPath, [CLI, 'reconcile', '--config', s.configFile], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Wait until the job's container runs, then kill the CLI under it.
    let running: string[] = [];
    for (let i = 0; i < 300 && running.length === 0; i++) {
      running = await jobContainers();
      if (running.length === 0) await sleep(100);
    }
    expect(running).toHaveLength(1);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await jobContainers()).toEqual(running);
    expect(existsSync(path.join(s.stateDir, 'running-config.previous'))).toBe(true);

    const outcome = await s.reconcile({ trigger: 'start' });
    expect(outcome).toMatchObject({ kind: 'converged', jobs: [{ job: 'migrate', outcome: 'succeeded' }] });
    expect(s.logLines.some((line) => line.includes('removed job containers of the interrupted apply'))).toBe(
      true,
    );
    expect(await jobContainers()).toEqual([]);
    expect(existsSync(path.join(s.stateDir, 'running-config.previous'))).toBe(false);
  });
});
