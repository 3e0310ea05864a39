import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARY, CLI, runStow } from './support/run-stow.js';
import { Scenario } from './support/scenario.js';
import { webDeployment } from './support/stow-yaml.js';

// The same tests for the workspace build and for the single-file executable.
describe.each([
  { build: 'workspace build (node dist/cli.js)', command: process.execPath, prefix: [CLI] },
  { build: 'single-file executable (dist/stow)', command: BINARY, prefix: [] as string[] },
])('stow reconcile, the real process: $build', ({ command, prefix }) => {
  const s = new Scenario();

  const stow = (...args: string[]) => runStow(command, prefix, args);

  const files = (image: 'http-ok' | 'health-fail') => ({
    'stow.yaml': webDeployment(s, { webImage: image, verify: '{ stableSeconds: 2, timeoutSeconds: 10 }' }),
    'config/web.env': '',
    'config/site.txt': 'x\n',
  });

  beforeAll(async () => {
    await s.start();
  });
  afterAll(async () => {
    await s.cleanup();
  });

  let sha = '';

  it('--dry-run --plan-json prints the plan and changes nothing', async () => {
    sha = await s.repo.commit(files('http-ok'));
    const result = await stow('reconcile', '--config', s.configFile, '--dry-run', '--plan-json');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toEqual({
      git_revision: sha,
      deployment: s.deployment,
      manifest_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      config_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      secrets_hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      deployment_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      actions: [
        { container: s.name('web'), action: 'replace', reason: 'missing' },
        { container: s.name('worker'), action: 'replace', reason: 'missing' },
      ],
      jobs: [],
    });
    expect(result.stderr).toMatch(/^planned .* \(dry run, nothing changed\)\n$/);
    expect((await s.managed()).size).toBe(0);
  });

  it('exits 0 when converged, quietly in a pipeline', async () => {
    const result = await stow('reconcile', '--config', s.configFile);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      new RegExp(`^converged ${s.deployment} v1:[0-9a-f]{64} at ${sha}: 2 replace\\n$`),
    );
  });

  it('exits 1 when the new revision fails and was rolled back', async () => {
    await s.repo.commit(files('health-fail'));
    const result = await stow('reconcile', '--config', s.configFile);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed at verify: .*unhealthy.*; rolled back to v1:[0-9a-f]{64}/);
  });

  it('--rev reconciles to a given commit (an intentional rollback is just another revision)', async () => {
    const result = await stow('reconcile', '--config', s.configFile, '--rev', sha, '--plan-json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).git_revision).toBe(sha);
  });

  it('exits 2 on a bad config, an unknown revision and bad flags, changing nothing', async () => {
    expect(await stow('reconcile', '--config', '/nonexistent/daemon.yaml')).toMatchObject({
      code: 2,
      stderr: 'stow reconcile: /nonexistent/daemon.yaml: cannot read file (ENOENT)\n',
    });
    const unknown = await stow('reconcile', '--config', s.configFile, '--rev', 'deadbeef');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/deadbeef/);
    expect((await stow('reconcile', '--config', s.configFile, '--rev', 'HEAD~1')).stderr).toMatch(
      /not a commit sha/,
    );
    expect((await stow('reconcile')).stderr).toMatch(/missing --config FILE/);
  });
});
