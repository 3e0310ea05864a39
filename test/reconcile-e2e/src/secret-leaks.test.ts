import { promises as fs, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newKey, sopsEncrypt } from '@stow/sops-decrypt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runStow, type StowRun } from './support/run-stow.js';
import { Scenario } from './support/scenario.js';
import { webDeployment } from './support/stow-yaml.js';

// A decrypted value planted in a failing deployment must appear in no output channel: the CLI's
// stdout and stderr, its JSON reconcile log, and the state files on disk (outcomes, quarantine).
// Only the snapshot of a deployment that reached the apply holds it, by design (0600 files).
const s = new Scenario();
const PLANTED = `planted-${s.id}-do-not-leak`;
const stow = (...args: string[]) => runStow(process.execPath, [CLI], args);

const files = (overrides: Record<string, string> = {}, yaml = webDeployment(s)) => ({
  'stow.yaml': yaml,
  'config/web.env': 'GREETING=hello\n',
  'config/site.txt': 'site\n',
  ...overrides,
});

/** Every file below `dir` (but not below `skip`) that holds `needle`, as a path relative to `dir`. */
async function filesHolding(dir: string, needle: string, skip?: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (!entry.isFile() || (skip && file.startsWith(`${skip}${path.sep}`))) continue;
    if ((await fs.readFile(file)).includes(needle)) found.push(path.relative(dir, file));
  }
  return found;
}

function expectNoPlanted(run: StowRun): void {
  expect(run.stdout).not.toContain(PLANTED);
  expect(run.stderr).not.toContain(PLANTED);
}

/** The JSON reconcile log lines of a `--log-json` run (on stderr). */
const jsonLog = (run: StowRun) => run.stderr.split('\n').filter((line) => line.startsWith('{'));

let encrypt: (format: 'yaml' | 'dotenv', plaintext: string) => Promise<string>;

beforeAll(async () => {
  const key = await newKey();
  const keys = path.join(s.stateDir, 'keys.txt');
  writeFileSync(keys, `${key.identity}\n`, { mode: 0o600 });
  encrypt = (format, plaintext) => sopsEncrypt({ format, plaintext, recipients: [key.recipient] });
  await s.start(`keys: ${keys}\n`);
});
afterAll(async () => {
  await s.cleanup();
});

describe('a decrypted value never leaves', () => {
  let runningBefore = '';

  it('a first good deployment converges', async () => {
    await s.repo.commit(files());
    expect((await stow('reconcile', '--config', s.configFile)).code).toBe(0);
    runningBefore = readlinkSync(path.join(s.stateDir, 'running-config'));
  });

  it('a SOPS env file that is YAML fails while prepared (exit 2, nothing touched), quoting nothing', async () => {
    const ids = [...(await s.managed()).values()].map((c) => c.Id).sort();
    const yaml = webDeployment(s, { envFiles: ['config/web.env', 'secrets/api.yaml'] });
    const secret = await encrypt('yaml', `apiToken: ${PLANTED}\n`);
    await s.repo.commit(files({ 'secrets/api.yaml': secret }, yaml));

    const run = await stow('reconcile', '--config', s.configFile, '--log-json');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'reconcile failed at manifest, nothing changed: secrets/api.yaml:1: not a variable name\n',
    );
    expect(jsonLog(run).length).toBeGreaterThan(0);
    expectNoPlanted(run);
    expect(await filesHolding(s.stateDir, PLANTED)).toEqual([]);
    expect(readlinkSync(path.join(s.stateDir, 'running-config'))).toBe(runningBefore);
    expect([...(await s.managed()).values()].map((c) => c.Id).sort()).toEqual(ids);
  });

  it('a deployment with a secret that fails verification is rolled back and quarantined, quoting nothing', async () => {
    const yaml = webDeployment(s, {
      webImage: 'health-fail',
      envFiles: ['config/web.env', 'secrets/app.env'],
      verify: '{ stableSeconds: 2, timeoutSeconds: 10 }',
    });
    const secret = await encrypt('dotenv', `API_TOKEN=${PLANTED}\n`);
    await s.repo.commit(files({ 'secrets/app.env': secret }, yaml));

    const run = await stow('reconcile', '--config', s.configFile, '--log-json');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/failed at verify: .*; rolled back to v1:[0-9a-f]{64}/);
    expect(jsonLog(run).length).toBeGreaterThan(0);
    expectNoPlanted(run);
    const state = JSON.parse(await fs.readFile(path.join(s.stateDir, '.stow/state.json'), 'utf8'));
    expect(JSON.stringify(state)).toMatch(/unhealthy|health/);
    expect(await filesHolding(s.stateDir, PLANTED, path.join(s.stateDir, '.stow/snapshots'))).toEqual([]);
    expect(readlinkSync(path.join(s.stateDir, 'running-config'))).toBe(runningBefore);
  });
});
