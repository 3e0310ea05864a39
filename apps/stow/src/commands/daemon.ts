import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { type Command, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';

export const daemonCommand: Command = {
  name: 'daemon',
  summary:
    'run the HTTPS daemon: /trigger /status /history /gitlab.svg /metrics /healthz, reconciling on triggers and polls',
  help: `Usage: stow daemon --config FILE

Runs the host daemon (normally under systemd: see 'stow install-systemd'). Before anything else it
checks the config lockdown: every directory above the config directory owned by root and not
writable by group or others (root-owned sticky directories like /tmp are fine); the config
directory and everything in it owned by root, directories mode 0500, files mode 0400, only regular
files and directories. daemon.yaml is read through the file descriptor that was checked. The files
it names (keys, tlsCrt, tlsKey, sopsBinary) must be regular root-owned files not writable by group
or others, no symlinks, in directories only root can write. Every violation is reported by path
and the daemon refuses to start. Without triggerToken it warns that anyone who can reach listen can
trigger reconciles. Then it serves HTTPS on daemon.yaml's listen address with tlsCrt/tlsKey
(required; at most 256 connections, idle ones closed after 10 s, slow headers after 25 s),
reconciles once at start (recovering an interrupted apply first) and every pollInterval, and on
POST /trigger. See docs/security.md.

Logs are JSON lines on stdout, one object per line with time, level, msg and, for reconcile
lines, reconcile_id. SIGTERM or SIGINT: stop accepting connections, let the reconcile in progress
finish (at most 100 s), then exit 0.

Options:
  --config FILE   daemon.yaml
  -h, --help      show this help

Exit codes: 0 stopped by a signal; 2 usage, config, lockdown or TLS error (nothing started).
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { config: { type: 'string' } });
    requirePositionals(positionals, []);
    if (values.config === undefined) throw new UsageError('missing --config FILE');
    // A long-running server's young generation: V8 grows it up to 16 MiB per semi-space under
    // request load and keeps it (docs/benchmarks.md, "daemon-memory"). Growth factor 1 keeps it at
    // its start size. Set now, not on the command line: a V8 flag given at start changes V8's flag
    // hash, and the single executable's code cache (built without flags) would then be rejected.
    setFlagsFromString('--semi-space-growth-factor=1');
    const { DaemonError, runDaemon } = await import('@stow/daemon');
    let daemon: Awaited<ReturnType<typeof runDaemon>>;
    try {
      daemon = await runDaemon({
        configFile: path.resolve(io.cwd, values.config),
        write: (line) => io.stdout.write(line),
      });
    } catch (error) {
      if (error instanceof DaemonError) {
        io.stderr.write(`stow daemon: ${error.message}\n`);
        return ExitCode.badInput;
      }
      throw error;
    }
    await daemon.closed;
    return ExitCode.success;
  },
};
