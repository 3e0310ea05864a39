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

/** systemd quoting for one ExecStart word. */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * The unit. Hardening that still reaches the Docker socket and the state dir:
 * - ProtectSystem=strict makes the whole tree read-only but ReadWritePaths: the state dir (snapshots,
 *   running-config, the lock) and the Docker socket (connecting to a socket is allowed on a read-only
 *   mount anyway; listing it documents the need; `-`: no failure if Docker is late).
 * - No ProtectHome: the default state dir and the age keys file (`keys: /root/keys.txt`) live in
 *   /root; ProtectHome=yes would hide them and read-only would forbid the snapshots.
 * - No MemoryDenyWriteExecute: V8's JIT needs writable+executable pages.
 * - No User=: the Docker socket is root's, and so is the locked-down /etc/stow.
 * - KillMode=mixed: SIGTERM goes to stow only (it lets the reconcile in progress finish, up to 100 s),
 *   children (git, sops) are not killed under it; TimeoutStopSec leaves that room.
 */
export function renderUnit(input: UnitInput): string {
  const exec = [...input.binary, 'daemon', '--config', input.configFile].map(quote).join(' ');
  return `# Written by stow install-systemd; a rerun with the same inputs leaves it untouched.
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
KillMode=mixed
TimeoutStopSec=120
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${quote(input.stateDir)} -/var/run/docker.sock
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
UMask=0077

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
    const root = path.resolve(io.cwd, values.root ?? '/');
    const { readDaemonConfig } = await import('@stow/manifest');
    const config = await readDaemonConfig(path.join(root, configFile));
    // Paths inside the unit are as the host sees them, without the prefix.
    const stateDir = config.stateDir
      ? path.join('/', path.relative(root, config.stateDir))
      : DEFAULT_STATE_DIR;
    const binary = values.binary ? [path.resolve(io.cwd, values.binary)] : await defaultBinary();
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
