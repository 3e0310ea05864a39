import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Command, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';

const UNIT_PATH = 'etc/systemd/system/stow.service';
/** root's home: the state directory under systemd when daemon.yaml sets no stateDir (SPEC section 6). */
const DEFAULT_STATE_DIR = '/root';

export interface UnitInput {
  /** ExecStart's program, absolute, possibly followed by the absolute cli.js (`node /…/cli.js`). */
  readonly binary: readonly string[];
  readonly configFile: string;
  readonly stateDir: string;
}

/**
 * The offset of the first control character (U+0000-U+001F, U+007F), or -1. A newline would end
 * the directive and start a new one (`ExecStartPre=…`).
 */
function controlOffset(value: string): number {
  for (let offset = 0; offset < value.length; offset++) {
    const code = value.charCodeAt(offset);
    if (code < 0x20 || code === 0x7f) return offset;
  }
  return -1;
}

/**
 * Refuses a path that no systemd unit can hold: control characters are not allowed in command lines
 * (systemd.service(5), "Command lines") and a newline would inject a directive. `what` names the
 * flag or daemon.yaml key it came from.
 */
export function assertUnitPath(what: string, value: string): void {
  const offset = controlOffset(value);
  if (offset < 0) return;
  const code = `U+${value.charCodeAt(offset).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new UsageError(
    `${what}: contains a control character (${code}) at offset ${offset}; systemd unit paths cannot hold control characters`,
  );
}

/**
 * The program ExecStart runs must also be free of quotes and backslashes: systemd refuses such an
 * executable name ("Executable name contains special characters", its string_is_safe check),
 * however it is quoted. Its arguments may hold them.
 */
export function assertUnitCommand(what: string, value: string): void {
  assertUnitPath(what, value);
  const match = /["'\\]/.exec(value);
  if (!match) return;
  throw new UsageError(
    `${what}: contains ${match[0]} at offset ${match.index}; systemd refuses quotes and backslashes in the program it runs`,
  );
}

/**
 * One word of a unit setting, quoted per systemd.syntax(7) "Quoting"
 * (https://man7.org/linux/man-pages/man7/systemd.syntax.7.html): `%` starts a specifier everywhere,
 * so it is doubled; a word with anything but plain path characters is wrapped in double quotes, in
 * which `\` and `"` are backslash-escaped. In ExecStart arguments `$` starts a variable and is
 * doubled (systemd.service(5), "Command lines": "To pass a literal dollar sign, use $$"); the
 * command itself is never variable-expanded, there `$` stays as it is (systemd-analyze verify
 * confirms both).
 */
export function unitWord(word: string, kind: 'command' | 'argument' | 'path'): string {
  let escaped = word.replace(/%/g, '%%');
  if (kind === 'argument') escaped = escaped.replace(/\$/g, '$$$$');
  if (/^[\w@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * The unit. Each hardening line carries its reason; together they keep `systemd-analyze security
 * --offline=true` exposure at about 2 (the test asserts at most 4.0) while the daemon still reaches
 * the Docker socket, its state dir, the locked-down /etc/stow, git and sops.
 */
export function renderUnit(input: UnitInput): string {
  const [command = '', ...rest] = input.binary;
  const exec = [
    unitWord(command, 'command'),
    ...[...rest, 'daemon', '--config', input.configFile].map((word) => unitWord(word, 'argument')),
  ].join(' ');
  return `# Written by stow install-systemd; a rerun with the same inputs leaves it untouched.
# Why each hardening setting is there (and why some are not): docs/security.md.
[Unit]
Description=stow GitOps reconciler (HTTPS daemon)
After=docker.service network-online.target
Wants=network-online.target
Requires=docker.service

[Service]
Type=simple
ExecStart=${exec}
Restart=always
RestartSec=5
# SIGTERM goes to stow only: it lets the reconcile in progress finish (up to 100 s); git and sops
# under it are not killed first. TimeoutStopSec leaves that room.
KillMode=mixed
TimeoutStopSec=120
# No User=: the Docker socket is root's (root:docker 0660), and so is the locked-down /etc/stow.
# As root, stow needs no capability beyond owning what it touches: the socket, the state dir, the
# config and keys are root's own files. CAP_NET_BIND_SERVICE stays for a listen port below 1024.
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
# The whole file system read-only except the state dir (snapshots, running-config, the lock, the git
# mirror) and the Docker socket (connecting to a socket works on a read-only mount anyway; listing
# it documents the need; "-": no failure while Docker is not up).
ProtectSystem=strict
ReadWritePaths=${unitWord(input.stateDir, 'path')} -/var/run/docker.sock
# /root, /home, /run/user read-only, not hidden: the default state dir (made writable above) and the
# age keys file (keys: /root/keys.txt) live in /root, a gitRepository may live in /home.
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
PrivateMounts=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
# Other users' processes are hidden; stow looks only at itself (/proc/self/fd for the lockdown).
# No ProcSubset=pid: Node reads /proc/cpuinfo and /proc/meminfo (os.cpus, heap sizing).
ProtectProc=invisible
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
# No MemoryDenyWriteExecute: V8's JIT needs writable and executable pages.
# Sockets: AF_UNIX for the Docker socket, AF_INET/AF_INET6 for listen, GitLab and registries,
# AF_NETLINK for glibc's getaddrinfo(AI_ADDRCONFIG), which Node's connect uses to resolve names.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
# The system calls of an ordinary service (Node, git, sops); anything else fails with EPERM rather
# than killing the daemon mid-reconcile.
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
UMask=0077
# Not set, on purpose: PrivateNetwork (it serves HTTPS and talks to GitLab), PrivateUsers (the
# Docker socket belongs to the real root), IPAddressDeny (GitLab and registries are anywhere).

[Install]
WantedBy=multi-user.target
`;
}

export type RunProgram = (file: string, args: readonly string[]) => Promise<void>;

const runProgram: RunProgram = async (file, args) => {
  await promisify(execFile)(file, [...args]);
};

/**
 * Writes `<root>/etc/systemd/system/stow.service` when it differs, then daemon-reload and enable (only
 * after a change) and restart (always, so the new binary and config are live). Returns what it did.
 */
export async function installSystemd(
  options: { root: string; systemctl: string; unit: string },
  run: RunProgram = runProgram,
): Promise<{ unitFile: string; changed: boolean; ran: string[][] }> {
  const unitFile = path.join(options.root, UNIT_PATH);
  const current = await readFile(unitFile, 'utf8').catch(() => undefined);
  const changed = current !== options.unit;
  const ran: string[][] = [];
  const systemctl = async (...args: string[]) => {
    ran.push(args);
    await run(options.systemctl, args);
  };
  if (changed) {
    await mkdir(path.dirname(unitFile), { recursive: true });
    await writeFile(unitFile, options.unit, { mode: 0o644 });
    await systemctl('daemon-reload');
    await systemctl('enable', 'stow.service');
  }
  await systemctl('restart', 'stow.service');
  return { unitFile, changed, ran };
}

/** This stow's ExecStart program: a single-file binary itself, else node plus the absolute cli.js. */
async function defaultBinary(): Promise<string[]> {
  const sea = await import('node:sea').then(
    (module) => module.isSea(),
    () => false,
  );
  if (sea) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL('../cli.js', import.meta.url))];
}

export const installSystemdCommand: Command = {
  name: 'install-systemd',
  summary: 'write or update the stow.service systemd unit, then daemon-reload, enable and restart it',
  help: `Usage: stow install-systemd --config FILE [--root PREFIX] [--systemctl PATH] [--binary PATH]

Writes <root>/etc/systemd/system/stow.service with ExecStart = this stow's absolute path + 'daemon
--config <absolute FILE>' (After/Requires docker.service, Restart=always, hardening that keeps the
Docker socket and the state dir writable), then runs 'systemctl daemon-reload', 'systemctl enable
stow.service' and 'systemctl restart stow.service'. Idempotent: when the unit is already as it
would be written, it is left alone and only the restart runs.

The state dir (ReadWritePaths) is daemon.yaml's stateDir, else /root (root's home under systemd);
it is created (mode 0700) when missing, since the read-only system would forbid creating it later.
Paths are escaped for systemd (% as %%, $ as $$ in arguments, quoted when they hold spaces, quotes
or backslashes); a control character in --binary, --config or stateDir, or a quote or backslash in
the program itself, is refused (exit 2) before anything is written. The hardening (capabilities,
system calls, address families, Protect*) is explained line by line in the unit and in
docs/security.md.

Options:
  --config FILE      daemon.yaml (read to find stateDir)
  --root PREFIX      write under PREFIX instead of / (tests, image builds)
  --systemctl PATH   the systemctl to run (default: systemctl from PATH)
  --binary PATH      ExecStart's program (default: this single-file stow binary, else
                     '<node> <absolute path of stow's cli.js>')
  -h, --help         show this help

Exit codes: 0 installed and restarted; 2 usage or config error, or a systemctl call failed.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      config: { type: 'string' },
      root: { type: 'string' },
      systemctl: { type: 'string' },
      binary: { type: 'string' },
    });
    requirePositionals(positionals, []);
    if (values.config === undefined) throw new UsageError('missing --config FILE');
    const configFile = path.resolve(io.cwd, values.config);
    assertUnitPath('--config', configFile);
    if (values.binary !== undefined) assertUnitCommand('--binary', values.binary);
    const root = path.resolve(io.cwd, values.root ?? '/');
    const { readDaemonConfig } = await import('@stow/manifest');
    const config = await readDaemonConfig(path.join(root, configFile));
    // Paths inside the unit are as the host sees them, without the prefix.
    const stateDir = config.stateDir
      ? path.join('/', path.relative(root, config.stateDir))
      : DEFAULT_STATE_DIR;
    assertUnitPath(`${config.file}: stateDir`, stateDir);
    const binary = values.binary ? [path.resolve(io.cwd, values.binary)] : await defaultBinary();
    const [program = '', ...programArgs] = binary;
    assertUnitCommand('this stow binary', program);
    for (const word of programArgs) assertUnitPath('this stow binary', word);
    const unit = renderUnit({ binary, configFile, stateDir });
    await mkdir(path.join(root, stateDir), { recursive: true, mode: 0o700 });
    try {
      const result = await installSystemd({ root, systemctl: values.systemctl ?? 'systemctl', unit });
      io.stdout.write(
        result.changed
          ? `wrote ${result.unitFile}; ran systemctl ${result.ran.map((a) => a.join(' ')).join(', ')}\n`
          : `${result.unitFile} is up to date; restarted stow.service\n`,
      );
      return ExitCode.success;
    } catch (error) {
      const detail =
        error instanceof Error
          ? (error as Error & { stderr?: string }).stderr || error.message
          : String(error);
      io.stderr.write(`stow install-systemd: systemctl failed: ${String(detail).trim()}\n`);
      return ExitCode.badInput;
    }
  },
};
