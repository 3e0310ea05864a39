import path from 'node:path';
import type { ReconcileOutcome } from '@stow/reconciler';
import type { Command, CommandIo } from '../command.js';
import { UsageError } from '../command.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';
import { progressLog } from '../progress-log.js';

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'converge this host to the desired revision once (or plan it with --dry-run)',
  help: `Usage: stow reconcile --config FILE [--dry-run] [--plan-json] [--rev SHA] [--state-dir DIR] [--log-json]

Runs one reconcile with the daemon's config: downloads the desired revision (the default branch
head, or --rev), decrypts and hashes it, plans noop/replace/delete against the labelled
containers, applies, verifies for the stable window, and rolls back to the previous snapshot when
anything fails. Takes the host lock shared with the daemon.

Options:
  --config FILE     daemon.yaml (GitLab or gitRepository source, keys, stateDir)
  --dry-run         download, decrypt, hash, observe and plan; change nothing
  --plan-json       print { git_revision, deployment, manifest_hash, config_hash, secrets_hash,
                    deployment_hash, actions: [{ container, action, reason }],
                    jobs: [{ job, action: run|skip, when: beforeApply|afterVerify }] }
  --rev SHA         reconcile to this commit instead of the default branch head
  --state-dir DIR   state directory (default: daemon.yaml stateDir, else the home directory)
  --log-json        structured JSON log lines on stderr (default: progress on a terminal only)
  -h, --help        show this help

Exit codes: 0 converged (or planned); 1 the deployment failed and was rolled back;
2 usage, config or input error, nothing changed; 3 the rollback (or a repair of the running
deployment) failed: the host needs attention. Bookkeeping that failed after the outcome was decided
(quarantine, confirm, snapshot cleanup, the history in STATE_DIR/.stow/history) is printed as a
warning and does not change the exit code.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      config: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'plan-json': { type: 'boolean' },
      rev: { type: 'string' },
      'state-dir': { type: 'string' },
      'log-json': { type: 'boolean' },
    });
    requirePositionals(positionals, []);
    if (values.config === undefined) throw new UsageError('missing --config FILE');
    if (values.rev !== undefined && !/^[0-9a-f]{7,40}$/.test(values.rev)) {
      throw new UsageError(`--rev ${JSON.stringify(values.rev)} is not a commit sha (7 to 40 hex digits)`);
    }
    const { readDaemonConfig } = await import('@stow/manifest');
    const { createReconcileContext, exitCodeOf, runReconcile } = await import('@stow/reconciler');
    const config = await readDaemonConfig(path.resolve(io.cwd, values.config));
    const secrets = [
      config.source.kind === 'gitlab' ? config.source.token.reveal() : '',
      config.triggerToken?.reveal() ?? '',
    ];
    const log = progressLog({
      json: values['log-json'] === true,
      interactive: io.interactive,
      write: (text) => io.stderr.write(text),
      secrets,
    });
    const context = await createReconcileContext(config, {
      log,
      stateDir: values['state-dir'] === undefined ? undefined : path.resolve(io.cwd, values['state-dir']),
    });
    const outcome = await runReconcile(context, {
      trigger: 'manual',
      revision: values.rev,
      dryRun: values['dry-run'] === true,
    });
    report(outcome, values['plan-json'] === true, io);
    return exitCodeOf(outcome);
  },
};

function report(outcome: ReconcileOutcome, planJson: boolean, io: CommandIo): void {
  const plan = 'plan' in outcome ? outcome.plan : undefined;
  if (planJson && plan) io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  const counts = plan
    ? ['replace', 'delete', 'noop']
        .map((action) => [action, plan.actions.filter((a) => a.action === action).length] as const)
        .filter(([, count]) => count > 0)
        .map(([action, count]) => `${count} ${action}`)
        .join(', ')
    : '';
  const line = (() => {
    switch (outcome.kind) {
      case 'planned':
        return `planned ${outcome.plan.deployment} v1:${outcome.plan.deployment_hash} at ${outcome.plan.git_revision}: ${counts || 'nothing to do'} (dry run, nothing changed)`;
      case 'converged':
        return `converged ${outcome.plan.deployment} v1:${outcome.deploymentHash} at ${outcome.gitRevision}${outcome.changed ? `: ${counts}` : ' (already running)'}`;
      case 'quarantined':
        return `kept the running deployment${outcome.repaired ? ' (repaired)' : ''}: v1:${outcome.deploymentHash} failed before (${outcome.reason})`;
      case 'repairFailed':
        return `REPAIR FAILED at ${outcome.step}: the running deployment v1:${outcome.runningDeploymentHash} did not come back (${outcome.reason}); the host needs attention`;
      case 'rolledBack':
        return `deployment v1:${outcome.failedDeploymentHash} failed at ${outcome.step}: ${outcome.reason}; rolled back to ${outcome.restoredDeploymentHash ? `v1:${outcome.restoredDeploymentHash}` : 'nothing (first deploy removed)'}`;
      case 'failed':
        return `reconcile failed at ${outcome.step}, nothing changed: ${outcome.reason}`;
      case 'rollbackFailed':
        return `ROLLBACK FAILED at ${outcome.step}: ${outcome.reason}; the host needs attention`;
    }
  })();
  const stream =
    outcome.kind === 'converged' || outcome.kind === 'planned'
      ? planJson
        ? io.stderr
        : io.stdout
      : io.stderr;
  stream.write(`${line}\n`);
  for (const warning of 'warnings' in outcome ? (outcome.warnings ?? []) : []) {
    io.stderr.write(`warning: ${warning.step}: ${warning.reason}\n`);
  }
}
