import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    expect(lines).toContain('ProtectHome=read-only');
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

  it('escapes %, $, spaces, quotes and backslashes as systemd.syntax wants', () => {
    const unit = renderUnit({
      binary: ['/opt/my tools/100%/st$ow'],
      configFile: '/etc/st ow/"q"\\d$HOME%i.yaml',
      stateDir: '/var/lib/my state/50%',
    });
    const lines = unit.split('\n');
    expect(lines).toContain(
      'ExecStart="/opt/my tools/100%%/st$ow" daemon --config "/etc/st ow/\\"q\\"\\\\d$$HOME%%i.yaml"',
    );
    expect(lines).toContain('ReadWritePaths="/var/lib/my state/50%%" -/var/run/docker.sock');
  });

  const injected: [string, (args: string[]) => void, string, RegExp][] = [
    [
      'a newline in --binary',
      (args) => {
        args[args.indexOf('--binary') + 1] = '/usr/local/bin/stow\nExecStartPre=/bin/sh -c id';
      },
      '',
      /^stow install-systemd: --binary: contains a control character \(U\+000A\) at offset 19; systemd unit paths cannot hold control characters\n/,
    ],
    [
      'a quote in --binary',
      (args) => {
        args[args.indexOf('--binary') + 1] = `/opt/it's/stow`;
      },
      '',
      /^stow install-systemd: --binary: contains ' at offset 7; systemd refuses quotes and backslashes in the program it runs\n/,
    ],
    [
      'a tab in --config',
      (args) => {
        args[args.indexOf('--config') + 1] = '/etc/stow/daemon\t.yaml';
      },
      '',
      /^stow install-systemd: --config: contains a control character \(U\+0009\) at offset 16;/,
    ],
    [
      "a newline in daemon.yaml's stateDir",
      () => {},
      'stateDir: "/var/lib/stow\\nExecStartPre=/bin/sh"\n',
      /^stow install-systemd: .*daemon\.yaml: stateDir: contains a control character \(U\+000A\) at offset 13;/,
    ],
  ];
  it.each(injected)(
    'refuses %s: exit 2, no unit written, no systemctl',
    async (name, edit, extra, message) => {
      const { args, unitFile, root } = await setup(
        `inject-${injected.findIndex(([n]) => n === name)}`,
        `${DAEMON_YAML}${extra}`,
      );
      edit(args);
      const result = await runCli(args, workspace.dir);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(existsSync(unitFile)).toBe(false);
      expect(
        existsSync(path.join(workspace.dir, `inject-${injected.findIndex(([n]) => n === name)}-calls.log`)),
      ).toBe(false);
      expect(existsSync(path.join(root, 'var/lib'))).toBe(false);
    },
  );
});

/** systemd-analyze from Debian's systemd package (ci/setup-test-host installs it); it needs no running systemd. */
function systemdAnalyze(args: string[]): { status: number | null; output: string } {
  const found = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(
      "systemd-analyze is missing: install Debian's systemd package (apt-get install -y systemd); ci/setup-test-host does this",
    );
  }
  const run = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the unit as systemd reads it', () => {
  it('systemd-analyze verify accepts odd paths: the quoting and escaping parse back to the real file', () => {
    // A real executable under a directory with a space, % and $: verify fails with "is not
    // executable" if ExecStart parses to any other path, and on any bad escape or specifier.
    const odd = path.join(workspace.dir, 'bin dir 100% $x');
    mkdirSync(odd, { recursive: true });
    const binary = path.join(odd, 'stow');
    writeFileSync(binary, '#!/bin/sh\n');
    chmodSync(binary, 0o755);
    const unitFile = path.join(workspace.dir, 'verify', 'stow.service');
    mkdirSync(path.dirname(unitFile), { recursive: true });
    writeFileSync(
      unitFile,
      renderUnit({
        binary: [binary],
        configFile: `/etc/st ow/100%/$x/"q" 'q' \\b.yaml`,
        stateDir: `/var/lib/stow %$ "q" 'q' \\b`,
      }),
    );
    const result = systemdAnalyze(['verify', unitFile]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('systemd-analyze security --offline=true rates the unit at most 4.0', () => {
    const unitFile = path.join(workspace.dir, 'security', 'stow.service');
    mkdirSync(path.dirname(unitFile), { recursive: true });
    writeFileSync(
      unitFile,
      renderUnit({ binary: ['/usr/local/bin/stow'], configFile: '/etc/stow/daemon.yaml', stateDir: '/root' }),
    );
    const result = systemdAnalyze(['security', '--offline=true', '--no-pager', unitFile]);
    const exposure = /Overall exposure level for stow\.service: (\d+\.\d+)/.exec(result.output)?.[1];
    expect(exposure, result.output).toBeDefined();
    expect(Number(exposure)).toBeLessThanOrEqual(4.0);
    // MemoryDenyWriteExecute stays off: V8's JIT needs writable and executable memory.
    expect(result.output).toMatch(/✗ MemoryDenyWriteExecute=/);
  });
});
