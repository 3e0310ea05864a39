import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';

const workspace = scratch();
afterAll(() => workspace.cleanup());

describe('stow hash', () => {
  it('prints the four hashes, agreeing with a shell computation of the format', async () => {
    await workspace.write('d/stow.yaml', 'deployment: { name: x }\ncontainers: {}\n');
    await workspace.write('d/config/a.conf', 'a=1\n');
    const result = await runCli(['hash', 'd'], workspace.dir);
    expect(result.code).toBe(0);
    const dir = path.join(workspace.dir, 'd');
    // The shell oracle: one stream per set, printf | sha256sum for the combination.
    const sha = (script: string) =>
      execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' }).split(' ')[0];
    const manifest = sha(`{ printf 'stow.yaml\\0'; cat stow.yaml; } | sha256sum`);
    const config = sha(`{ printf 'config/a.conf\\0'; cat config/a.conf; } | sha256sum`);
    const secrets = sha(`printf '' | sha256sum`);
    const deployment = sha(`printf '%s\\n%s\\n%s\\n' ${manifest} ${config} ${secrets} | sha256sum`);
    expect(result.stdout).toBe(
      `manifest_hash   ${manifest}\nconfig_hash     ${config}\nsecrets_hash    ${secrets}\ndeployment_hash ${deployment}\n`,
    );
    const json = await runCli(['hash', '--json', 'd'], workspace.dir);
    expect(JSON.parse(json.stdout)).toEqual({
      manifest_hash: manifest,
      config_hash: config,
      secrets_hash: secrets,
      deployment_hash: deployment,
      secret_files: [],
    });
  });

  it('refuses a folder without stow.yaml', async () => {
    await workspace.write('empty/readme.txt', 'x');
    const result = await runCli(['hash', 'empty'], workspace.dir);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "stow hash: empty: no stow.yaml here; DIR must be a deployment folder\nRun 'stow hash --help' for usage.\n",
    });
  });

  it('refuses a symlink inside the folder, naming it', async () => {
    await workspace.write('linked/stow.yaml', 'x');
    symlinkSync('/etc/passwd', path.join(workspace.dir, 'linked/passwd'));
    const result = await runCli(['hash', 'linked'], workspace.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'stow hash: passwd: is a symlink; only regular files and directories may appear in a deployment folder\n',
    );
  });

  it('rejects unknown flags and extra arguments', async () => {
    expect((await runCli(['hash', '--jsn', 'd'], workspace.dir)).stderr).toMatch(
      /^stow hash: Unknown option '--jsn'/,
    );
    expect((await runCli(['hash', 'd', 'e'], workspace.dir)).stderr).toMatch(
      /^stow hash: unexpected argument "e"/,
    );
    expect((await runCli(['hash'], workspace.dir)).code).toBe(2);
  });
});
