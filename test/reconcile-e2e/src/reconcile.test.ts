import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS } from './support/fixtures.js';
import { Scenario } from './support/scenario.js';
import { webDeployment } from './support/stow-yaml.js';

const s = new Scenario();
const files = (overrides: Record<string, string | Buffer> = {}, yaml?: string) => ({
  'stow.yaml': yaml ?? webDeployment(s),
  'config/web.env': 'GREETING=hello\n',
  'config/site.txt': 'site v1\n',
  ...overrides,
});

beforeAll(async () => {
  await s.start();
});
afterAll(async () => {
  await s.cleanup();
});

async function ids() {
  const managed = await s.managed();
  return Object.fromEntries([...managed].map(([name, c]) => [name, c.Id]));
}

describe('reconcile on the real engine', () => {
  let firstHash = '';

  it('converges and verifies a first deploy, with labels and snapshot layout as specified', async () => {
    const sha = await s.repo.commit(files());
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'converged', changed: true, gitRevision: sha });
    if (outcome.kind !== 'converged') throw new Error('unreachable');
    firstHash = outcome.deploymentHash;

    const web = await s.inspect(s.name('web'));
    expect(web.State.Status).toBe('running');
    expect(web.State.Health?.Status).toBe('healthy');
    expect(web.Config.Labels).toMatchObject({
      'stow.deployment': s.deployment,
      'stow.hash': `v1:${firstHash}`,
      'stow.container': s.name('web'),
    });
    expect(web.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'APP=e2e']));
    const snapshot = path.join(s.stateDir, '.stow/snapshots', firstHash);
    // Bind sources resolve into the snapshot directory itself, never through running-config.
    expect(web.HostConfig.Mounts?.[0]?.Source).toBe(path.join(snapshot, 'config/site.txt'));
    const { readlinkSync, readFileSync, existsSync } = await import('node:fs');
    expect(readlinkSync(path.join(s.stateDir, 'running-config'))).toBe(`.stow/snapshots/${firstHash}`);
    expect(existsSync(path.join(s.stateDir, 'running-config.previous'))).toBe(false);
    expect(readFileSync(path.join(snapshot, '.git-revision'), 'utf8')).toBe(`${sha}\n`);
    expect(readFileSync(path.join(snapshot, '.config-sha256'), 'utf8')).toBe(`${firstHash}\n`);
    expect(readFileSync(path.join(snapshot, '.deployment-name'), 'utf8')).toBe(`${s.deployment}\n`);
    expect(JSON.parse(readFileSync(path.join(snapshot, '.stow-snapshot.json'), 'utf8'))).toMatchObject({
      deployment_hash: firstHash,
      git_revision: sha,
    });
    expect(readFileSync(path.join(snapshot, '.stow-rendered-manifest.yaml'), 'utf8')).toContain(
      `deploymentHash: ${firstHash}`,
    );
    const network = (await s.docker.listNetworks()).find((n) => n.Name === s.name('net'));
    expect(network?.Labels?.['stow.deployment']).toBe(s.deployment);
  });

  it('restarts nothing on a second reconcile (same ids, same StartedAt)', async () => {
    const before = await s.inspect(s.name('web'));
    const beforeIds = await ids();
    const outcome = await s.reconcile({ trigger: 'poll' });
    expect(outcome).toMatchObject({ kind: 'converged', changed: false });
    expect(await ids()).toEqual(beforeIds);
    expect((await s.inspect(s.name('web'))).State.StartedAt).toBe(before.State.StartedAt);
  });

  it('replaces every container when a config file changes', async () => {
    const before = await ids();
    await s.repo.commit(files({ 'config/site.txt': 'site v2\n' }));
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'converged', changed: true });
    const after = await ids();
    for (const name of Object.keys(before)) expect(after[name]).not.toBe(before[name]);
  });

  it('replaces every container when an image changes', async () => {
    const before = await ids();
    await s.repo.commit(
      files({ 'config/site.txt': 'site v2\n' }, webDeployment(s, { webImage: 'http-ok-2' })),
    );
    expect(await s.reconcile()).toMatchObject({ kind: 'converged', changed: true });
    const web = await s.inspect(s.name('web'));
    expect(web.Config.Image).toBe(s.image('http-ok-2'));
    const after = await ids();
    for (const name of Object.keys(before)) expect(after[name]).not.toBe(before[name]);
  });

  it('replaces on a secret value change, but not on a re-encryption of the same values', async () => {
    const keys = path.join(s.stateDir, 'keys.txt');
    writeFileSync(keys, SECRETS.keys, { mode: 0o600 });
    await s.start(`keys: ${keys}\n`);
    const yaml = webDeployment(s, { envFiles: ['config/web.env', 'secrets/app.env'] });
    await s.repo.commit(files({ 'secrets/app.env': SECRETS.fluxEnvs }, yaml));
    const first = await s.reconcile();
    expect(first).toMatchObject({ kind: 'converged', changed: true });
    if (first.kind !== 'converged') throw new Error('unreachable');
    const web = await s.inspect(s.name('web'));
    expect(web.Config.Env).toContain('key=value');
    const { statSync } = await import('node:fs');
    const secretFile = path.join(s.stateDir, '.stow/snapshots', first.deploymentHash, 'secrets/app.env');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);

    const before = await ids();
    await s.repo.commit(files({ 'secrets/app.env': SECRETS.fluxComponent }, yaml), 're-encrypt, same values');
    expect(await s.reconcile()).toMatchObject({
      kind: 'converged',
      changed: false,
      deploymentHash: first.deploymentHash,
    });
    expect(await ids()).toEqual(before);

    await s.repo.commit(files({ 'secrets/app.env': SECRETS.humphd }, yaml), 'new secret values');
    const changed = await s.reconcile();
    expect(changed).toMatchObject({ kind: 'converged', changed: true });
    expect((await s.inspect(s.name('web'))).Config.Env).toContain('secret=this is a secret');
    // Plaintext never reaches the log.
    expect(s.logLines.join('')).not.toContain('this is a secret');
  });

  it('deletes a container removed from stow.yaml and leaves others alone', async () => {
    const bystander = await s.docker.createContainer({
      name: s.name('bystander'),
      Image: s.image('busybox'),
      Cmd: ['sleep', '3600'],
      HostConfig: { Init: true },
    });
    await bystander.start();
    const other = await s.docker.createContainer({
      name: s.name('other-deployment'),
      Image: s.image('busybox'),
      Cmd: ['sleep', '3600'],
      Labels: { 'stow.deployment': `${s.deployment}-other`, 'stow.hash': 'v1:x', 'stow.container': 'x' },
      HostConfig: { Init: true },
    });
    await other.start();

    await s.repo.commit(files({}, webDeployment(s, { withWorker: false })));
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'converged' });
    if (outcome.kind !== 'converged') throw new Error('unreachable');
    expect(outcome.plan.actions).toContainEqual(
      expect.objectContaining({ container: s.name('worker'), action: 'delete' }),
    );
    expect([...(await s.managed()).keys()]).toEqual([s.name('web')]);
    expect((await bystander.inspect()).State.Status).toBe('running');
    expect((await other.inspect()).State.Status).toBe('running');
  });

  it('refuses a foreign container holding a desired name and changes nothing', async () => {
    const squatter = await s.docker.createContainer({
      name: s.name('worker'),
      Image: s.image('busybox'),
      Cmd: ['sleep', '3600'],
      HostConfig: { Init: true },
    });
    await squatter.start();
    const before = await ids();
    await s.repo.commit(files());
    const outcome = await s.reconcile();
    expect(outcome).toMatchObject({ kind: 'failed', step: 'plan', terminal: true });
    if (outcome.kind === 'failed') expect(outcome.reason).toContain(s.name('worker'));
    expect(await ids()).toEqual(before);
    await squatter.remove({ force: true });
  });

  it('repairs drift: a container stopped or removed by hand is replaced', async () => {
    expect(await s.reconcile()).toMatchObject({ kind: 'converged', changed: true });
    await s.docker.getContainer(s.name('web')).stop({ t: 1 });
    const stopped = await s.reconcile({ trigger: 'poll' });
    expect(stopped).toMatchObject({ kind: 'converged', changed: true });
    if (stopped.kind !== 'converged') throw new Error('unreachable');
    expect(stopped.plan.actions).toContainEqual({
      container: s.name('web'),
      action: 'replace',
      reason: expect.stringMatching(/stopped|exited/),
    });
    expect((await s.inspect(s.name('web'))).State.Status).toBe('running');

    await s.docker.getContainer(s.name('worker')).remove({ force: true });
    const removed = await s.reconcile({ trigger: 'poll' });
    expect(removed).toMatchObject({ kind: 'converged', changed: true });
    expect((await s.inspect(s.name('worker'))).State.Status).toBe('running');
  });
});
