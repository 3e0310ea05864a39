import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';

const workspace = scratch();
afterAll(() => workspace.cleanup());

describe('stow daemon', () => {
  it('refuses to start when the config directory is not locked down, naming each path', async () => {
    const config = await workspace.write('etc/daemon.yaml', 'gitRepository: /srv/x.git\nsubfolder: host\n');
    await workspace.write('etc/tls.key', 'key');
    chmodSync(path.dirname(config), 0o755);
    chmodSync(config, 0o644);
    const result = await runCli(['daemon', '--config', 'etc/daemon.yaml'], workspace.dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const dir = path.join(workspace.dir, 'etc');
    expect(result.stderr).toContain(
      `stow daemon: refusing to start: the config directory ${dir} is not locked down`,
    );
    expect(result.stderr).toContain(`  ${dir}: `);
    expect(result.stderr).toContain(`  ${config}: `);
    expect(result.stderr).toContain('has mode 0644; files must be mode 0400');
    expect(result.stderr).toContain(`  ${path.join(dir, 'tls.key')}: `);
  });

  it('usage errors', async () => {
    expect((await runCli(['daemon'], workspace.dir)).stderr).toMatch(/^stow daemon: missing --config FILE/);
    expect((await runCli(['daemon', '--config', 'a', 'extra'], workspace.dir)).code).toBe(2);
    const help = await runCli(['daemon', '--help'], workspace.dir);
    expect(help.stdout).toMatch(/^Usage: stow daemon --config FILE/);
  });
});
