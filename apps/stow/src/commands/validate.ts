import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags } from '../parse-flags.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a stow.yaml or daemon.yaml',
  help: `Usage: stow validate [--json] PATH...

Checks each PATH, a stow.yaml or a daemon.yaml (told apart by content; a directory means its
stow.yaml). A stow.yaml is checked against the schema (unknown keys, digest-pinned images, paths
confined to the deployment folder, declared networks, ...) and every file it references must
exist beside it. Each problem prints as one line: file:line:column: key.path: reason.

A valid daemon.yaml without triggerToken gets a warning (exit 0): anyone who can reach its listen
address can trigger reconciles.

Options:
  --json     print one JSON report per file: { file, kind, valid, issues: [...], warnings: [...] }
  -h, --help show this help

Exit codes: 0 all valid; 2 any file invalid or unreadable.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('missing PATH');
    const { formatIssue, validateConfigFile } = await import('@stow/manifest');
    let allValid = true;
    for (const given of positionals) {
      const file = await configFileOf(path.resolve(io.cwd, given));
      const report = await validateConfigFile(file, { name: path.relative(io.cwd, file) || file });
      allValid &&= report.valid;
      const warnings = report.valid && report.kind === 'daemon.yaml' ? await daemonWarnings(file) : [];
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...report, warnings })}\n`);
      } else if (report.valid) {
        io.stdout.write(`${report.file}: valid ${report.kind}\n`);
        for (const warning of warnings) io.stderr.write(`${report.file}: warning: ${warning}\n`);
      } else {
        for (const issue of report.issues) io.stderr.write(`${formatIssue(issue)}\n`);
      }
    }
    return allValid ? ExitCode.success : ExitCode.badInput;
  },
};

/** What is valid but unsafe in a daemon.yaml; the daemon logs the same lines at start. */
async function daemonWarnings(file: string): Promise<string[]> {
  const [{ readDaemonConfig }, { triggerTokenWarning }] = await Promise.all([
    import('@stow/manifest'),
    import('@stow/daemon'),
  ]);
  const warning = triggerTokenWarning(await readDaemonConfig(file));
  return warning === undefined ? [] : [warning];
}

async function configFileOf(target: string): Promise<string> {
  const stat = await fs.stat(target).catch(() => undefined);
  return stat?.isDirectory() ? path.join(target, 'stow.yaml') : target;
}
