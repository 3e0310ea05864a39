import { type JobRun, removeLeftJobContainers, runJob, toJobCreateOptions } from '@stow/docker-planner';
import type { JobWhen } from '@stow/manifest';
import { type DockerContext, envFromFiles } from './docker-steps.js';
import type { FailureForensics } from './forensics.js';
import type { Redactor } from './secret-redactor.js';
import type { TargetDeployment } from './target.js';

/** How a job run ended, for the outcome, the logs and the metrics. */
export type JobOutcome = 'succeeded' | 'failed' | 'timedOut';

/** One job run of a reconcile, as reported: never its output. */
export interface JobRunRecord {
  readonly job: string;
  readonly when: JobWhen;
  readonly outcome: JobOutcome;
  /** undefined: killed at its timeout, or it never started. */
  readonly exitCode: number | undefined;
  readonly durationMs: number;
}

/** A job that did not exit 0 in time: the deploy fails (before the apply) or rolls back (after verify). */
export class JobFailure extends Error {
  override name = 'JobFailure';
}

/**
 * Runs the target's jobs of one phase, one at a time in file order (SPEC: jobs). Each run is logged
 * and appended to `runs`; the first that does not exit 0 within its timeout throws JobFailure whose
 * message names the job, its exit code and its last log line with the deployment's secret values
 * redacted, its container recorded by `forensics` (as `job:<name>`) before it is removed. Job
 * containers a crash left behind are removed first.
 */
export async function runJobs(
  context: DockerContext,
  target: TargetDeployment,
  when: JobWhen,
  redact: Redactor,
  runs: JobRunRecord[],
  forensics: FailureForensics,
): Promise<void> {
  const { manifest, snapshotDir } = target;
  if (!manifest || !snapshotDir) return;
  const jobs = Object.entries(manifest.jobs).filter(([, spec]) => spec.when === when);
  if (jobs.length === 0) return;
  const left = await removeLeftJobContainers(context.engine, target.deploymentName);
  if (left.length > 0) context.log.log('warn', 'removed job containers left behind', { containers: left });
  for (const [job, spec] of jobs) {
    context.log.log('info', 'job starting', { job, when, timeout_seconds: spec.timeoutSeconds });
    const options = toJobCreateOptions(job, spec, {
      deploymentName: target.deploymentName,
      deploymentHash: target.deploymentHash,
      snapshotDir,
      envFromFiles: await envFromFiles(snapshotDir, spec.envFiles ?? []),
    });
    const started = context.clock.now();
    let run: JobRun;
    try {
      run = await runJob(
        context.engine,
        { job, options, timeoutSeconds: spec.timeoutSeconds },
        () => context.clock.now(),
        {
          beforeRemove: async (id, finished) => {
            if (finished.exitCode !== 0) await forensics.capture(id, `job:${job}`, redact);
          },
        },
      );
    } catch (error) {
      const reason = redact(error instanceof Error ? error.message : String(error));
      record(context, runs, {
        job,
        when,
        outcome: 'failed',
        exitCode: undefined,
        durationMs: context.clock.now() - started,
      });
      throw new JobFailure(reason, { cause: error });
    }
    const outcome: JobOutcome =
      run.exitCode === undefined ? 'timedOut' : run.exitCode === 0 ? 'succeeded' : 'failed';
    record(context, runs, { job, when, outcome, exitCode: run.exitCode, durationMs: run.durationMs });
    if (outcome === 'succeeded') continue;
    const ended =
      run.exitCode === undefined
        ? `did not finish within ${spec.timeoutSeconds} s and was killed`
        : `exited with code ${run.exitCode}`;
    const lastLine = run.lastLogLine ? `; last log line: ${redact(run.lastLogLine)}` : '; it wrote no log';
    throw new JobFailure(`job ${job} (${when}) ${ended}${lastLine}`);
  }
}

function record(context: DockerContext, runs: JobRunRecord[], run: JobRunRecord): void {
  runs.push(run);
  context.log.log(run.outcome === 'succeeded' ? 'info' : 'error', 'job finished', {
    job: run.job,
    when: run.when,
    outcome: run.outcome,
    exit_code: run.exitCode,
    duration_ms: run.durationMs,
  });
}
