import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';
import { renderUnit } from './install-systemd.js';

const workspace = scratch();
afterAll(() => workspace.cleanup());

async function setup(name: string, daemonYaml: string) {
  const root = path.join(workspace.dir, name);
  await workspace.write(`${name}/etc/stow/daemon.yaml`, daemonYaml);
  const calls = path.join(workspace.dir, `${name}-calls.log`);
  const systemctl = await workspace.write(`${name}-systemctl.sh`, `#!/bin/sh\necho "$*" >> '${calls}'\n`);
  chmodSync(systemctl, 0o755);
  const args = [
    'install-systemd',
    '--config',
    '/etc/stow/daemon.yaml',
    '--root',
    root,
    '--systemctl',
    systemctl,
    '--binary',
    '/usr/local/bin/stow',
  ];
  const readCalls = () => readFileSync(calls, 'utf8').trim().split('\n');
  return { root, args, readCalls, unitFile: path.join(root, 'etc/systemd/system/stow.service') };
}

const DAEMON_YAML =
  'gitRepository: /srv/deployments.git\nsubfolder: host\ntlsCrt: tls.crt\ntlsKey: tls.key\n';

describe('stow install-systemd', () => {
  it('writes the unit, then daemon-reload, enable, restart in that order; a rerun only restarts', async () => {
    const { args, readCalls, unitFile } = await setup('first', DAEMON_YAML);
    const first = await runCli(args, workspace.dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const unit = readFileSync(unitFile, 'utf8');
    expect(unit).toBe(
      renderUnit({ binary: ['/usr/local/bin/stow'], configFile: '/etc/stow/daemon.yaml', stateDir: '/root' }),
    );
    const lines = unit.split('\n');
    expect(lines).toContain('ExecStart=/usr/local/bin/stow daemon --config /etc/stow/daemon.yaml');
    expect(lines).toContain('After=docker.service network-online.target');
    expect(lines).toContain('Requires=docker.service');
    expect(lines).toContain('Restart=always');
    expect(lines).toContain('NoNewPrivileges=yes');
    expect(lines).toContain('ProtectSystem=strict');
    expect(lines).toContain('ReadWritePaths=/root -/var/run/docker.sock');
    expect(lines.some((line) => line.startsWith('ProtectHome='))).toBe(false);
    expect(lines.some((line) => line.startsWith('MemoryDenyWriteExecute='))).toBe(false);
    expect(lines).toContain('WantedBy=multi-user.target');
    expect(statSync(unitFile).mode & 0o777).toBe(0o644);
    expect(readCalls()).toEqual(['daemon-reload', 'enable stow.service', 'restart stow.service']);
    const mtime = statSync(unitFile).mtimeMs;

    const second = await runCli(args, workspace.dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/is up to date; restarted stow.service/);
    expect(readCalls()).toEqual([
      'daemon-reload',
      'enable stow.service',
      'restart stow.service',
      'restart stow.service',
    ]);
    expect(statSync(unitFile).mtimeMs).toBe(mtime);
  });

  it('rewrites a changed unit and reloads; uses stateDir from daemon.yaml and creates it', async () => {
    const { root, args, readCalls, unitFile } = await setup(
      'state',
      `${DAEMON_YAML}stateDir: /var/lib/stow\n`,
    );
    writeFileSync(path.join(workspace.dir, 'state-calls.log'), '');
    await import('node:fs').then((fs) => fs.mkdirSync(path.dirname(unitFile), { recursive: true }));
    writeFileSync(unitFile, '[Unit]\nDescription=old\n');
    const result = await runCli(args, workspace.dir);
    expect(result.code).toBe(0);
    const unit = readFileSync(unitFile, 'utf8');
    expect(unit).toContain('ReadWritePaths=/var/lib/stow -/var/run/docker.sock');
    expect(statSync(path.join(root, 'var/lib/stow')).isDirectory()).toBe(true);
    expect(readCalls()).toEqual(['daemon-reload', 'enable stow.service', 'restart stow.service']);
  });

  it('quotes ExecStart words with spaces; defaults to node plus the absolute cli.js', () => {
    const unit = renderUnit({
      binary: ['/usr/bin/node', '/opt/my stow/cli.js'],
      configFile: '/etc/stow/daemon.yaml',
      stateDir: '/root',
    });
    expect(unit).toContain(
      'ExecStart=/usr/bin/node "/opt/my stow/cli.js" daemon --config /etc/stow/daemon.yaml',
    );
  });

  it('a bad daemon.yaml or a failing systemctl: exit 2', async () => {
    const bad = await setup('bad', 'subfolder: host\n');
    expect((await runCli(bad.args, workspace.dir)).code).toBe(2);
    const failing = await setup('failing', DAEMON_YAML);
    const script = failing.args[failing.args.indexOf('--systemctl') + 1] as string;
    writeFileSync(script, '#!/bin/sh\necho "Failed to restart stow.service: Unit not found." >&2\nexit 5\n');
    const result = await runCli(failing.args, workspace.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'stow install-systemd: systemctl failed: Failed to restart stow.service: Unit not found.\n',
    );
    expect((await runCli(['install-systemd'], workspace.dir)).stderr).toMatch(/missing --config FILE/);
  });
});
