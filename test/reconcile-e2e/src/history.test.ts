import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openHistory } from '@stow/reconciler';
import { newKey, sopsEncrypt } from '@stow/sops-decrypt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runStow } from './support/run-stow.js';
import { Scenario } from './support/scenario.js';
import { webDeployment } from './support/stow-yaml.js';

// The durable history on the real engine, written by the real `stow reconcile`: a container that
// prints a decrypted SOPS value and fails verification is looked at before the rollback removes it,
// and what is kept (read back as a restarted daemon reads it) has the value replaced.
const s = new Scenario();
const PLANTED = `planted-${s.id}-do-not-leak`;
const stow = (...args: string[]) => runStow(process.execPath, [CLI], args);
const reconcile = () => stow('reconcile', '--config', s.configFile);
/** A fresh store on the state directory: what a restarted daemon serves. */
const history = () => openHistory(s.stateDir);

const files = (overrides: Record<string, string> = {}, yaml = webDeployment(s)) => ({
  'stow.yaml': yaml,
  'config/web.env': 'GREETING=hello\n',
  'config/site.txt': 'site\n',
  ...overrides,
});

/** The web deployment plus `talker`, which prints the secret, complains on stderr and exits 3. */
const withTalker = () =>
  `${webDeployment(s, { verify: '{ stableSeconds: 2, timeoutSeconds: 8 }' })}  ${s.name('talker')}:
    image: ${s.image('busybox')}
    command: [sh, -c, "echo connecting with token $API_TOKEN; echo giving up >&2; exit 3"]
    envFiles: [secrets/app.env]
    restart: "no"
`;

/** Every file below the state directory holding `needle`, but the snapshots (decrypted files by design). */
async function filesHolding(needle: string): Promise<string[]> {
  const snapshots = path.join(s.stateDir, '.stow/snapshots');
  const found: string[] = [];
  for (const entry of await fs.readdir(s.stateDir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (!entry.isFile() || file.startsWith(`${snapshots}${path.sep}`)) continue;
    if ((await fs.readFile(file)).includes(needle)) found.push(path.relative(s.stateDir, file));
  }
  return found;
}

let encryptedEnv = '';

beforeAll(async () => {
  const key = await newKey();
  const keys = path.join(s.stateDir, 'keys.txt');
  writeFileSync(keys, `${key.identity}\n`, { mode: 0o600 });
  encryptedEnv = await sopsEncrypt({
    format: 'dotenv',
    plaintext: `API_TOKEN=${PLANTED}\n`,
    recipients: [key.recipient],
  });
  await s.start(`keys: ${keys}\n`);
});
afterAll(async () => {
  await s.cleanup();
});

describe('the history on the real engine', () => {
  it('`stow reconcile` records its runs: a deploy, then its noops as one entry', async () => {
    await s.repo.commit(files());
    expect((await reconcile()).code).toBe(0);
    expect((await reconcile()).code).toBe(0);
    expect((await reconcile()).code).toBe(0);

    const entries = await history().list(10);
    expect(entries.map((e) => [e.outcome, e.count, e.trigger, e.failed_containers.length])).toEqual([
      ['converged', 2, 'manual', 0],
      ['converged', 1, 'manual', 0],
    ]);
    expect(entries[1]?.actions.map((a) => a.action)).toEqual(['replace', 'replace']);
    expect(entries[0]?.actions.map((a) => a.action)).toEqual(['noop', 'noop']);
  });

  it('a container that prints a secret and fails verification: forensics kept, the secret redacted everywhere', async () => {
    const sha = await s.repo.commit(files({ 'secrets/app.env': encryptedEnv }, withTalker()));
    const run = await reconcile();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/failed at verify: .*; rolled back to v1:[0-9a-f]{64}/);
    expect([...(await s.managed()).keys()]).not.toContain(s.name('talker'));

    const [entry] = await history().list(1);
    expect(entry).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      trigger: 'manual',
      outcome: 'rolledBack',
      git_revision: sha,
      step: 'verify',
      failed_containers: [
        { name: s.name('talker'), exit_code: 3, oom_killed: false, health: null, has_logs: true },
      ],
    });
    const logs = await history().logs(entry?.id as string);
    // stdout and stderr as the engine kept them; the order of two lines written at once is its own.
    expect([...(logs?.containers[0]?.log_lines ?? [])].sort()).toEqual([
      'connecting with token [REDACTED]',
      'giving up',
    ]);
    expect(JSON.stringify(logs)).not.toContain(PLANTED);
    expect(await filesHolding(PLANTED)).toEqual([]);
    const historyDir = path.join(s.stateDir, '.stow/history');
    expect((await fs.stat(historyDir)).mode & 0o777).toBe(0o700);
    for (const name of await fs.readdir(historyDir))
      expect((await fs.stat(path.join(historyDir, name))).mode & 0o777).toBe(0o600);
  });
});
