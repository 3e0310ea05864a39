import type { JobSpec } from '@stow/manifest';
import { type CreateContext, type CreateOptions, toCreateOptions } from './create-options.js';
import type { DockerEngine } from './engine.js';
import { DockerPlannerError } from './errors.js';
import { LABEL_CONTAINER, LABEL_DEPLOYMENT, LABEL_JOB } from './labels.js';

/** A stow.yaml job ready to run: its create request and its time limit. */
export interface JobToRun {
  /** The job's key in stow.yaml. */
  readonly job: string;
  readonly options: CreateOptions;
  readonly timeoutSeconds: number;
}

/** How one job run ended. Its output is not kept, only the last line (redact it before reporting). */
export interface JobRun {
  readonly job: string;
  /** undefined: still running when `timeoutSeconds` ran out (then it was killed). */
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  /** The last non-empty line the job wrote, at most MAX_LINE characters; '' when it wrote nothing. */
  readonly lastLogLine: string;
}

const LOG_TAIL = 20;
const MAX_LINE = 500;

/** The host name of a job's container: `<deployment>.job.<job>`, a name no container key can take by accident. */
export function jobContainerName(deploymentName: string, job: string): string {
  return `${deploymentName}.job.${job}`;
}

/**
 * The Engine API create request of a job: a container's, labelled `stow.job=<name>` instead of
 * `stow.container` (so the planner never takes it for a container to delete or replace), and never
 * restarted. Mounts and env files resolve in the snapshot like a container's.
 */
export function toJobCreateOptions(job: string, spec: JobSpec, context: CreateContext): CreateOptions {
  const { body, connectNetworks } = toCreateOptions(
    jobContainerName(context.deploymentName, job),
    spec,
    context,
  );
  const { [LABEL_CONTAINER]: _container, ...labels } = body.Labels;
  return {
    body: {
      ...body,
      Labels: { ...labels, [LABEL_JOB]: job },
      HostConfig: { ...body.HostConfig, RestartPolicy: { Name: 'no' } },
    },
    connectNetworks,
  };
}

export interface RunJobHooks {
  /**
   * Called with the container of a job that ran, once it has exited or been killed and before it is
   * removed (failure forensics). Whatever it throws is ignored: it never changes the run.
   */
  readonly beforeRemove?: (containerId: string, run: JobRun) => Promise<void>;
}

/**
 * Runs one job to its end: create, connect, start, wait at most `timeoutSeconds` (then kill), read
 * its exit code and last log line, and remove its container whatever happened. A job that cannot
 * be created or started throws JOB_FAILED naming it; a job that runs and fails returns its run.
 */
export async function runJob(
  engine: DockerEngine,
  job: JobToRun,
  now: () => number = Date.now,
  hooks: RunJobHooks = {},
): Promise<JobRun> {
  const { body, connectNetworks } = job.options;
  const started = now();
  let id: string | undefined;
  try {
    id = await engine.createContainer(body);
    for (const network of connectNetworks) await engine.connectNetwork(network, id, [body.name]);
    await engine.startContainer(id);
    const exitCode = await engine.waitContainer(id, job.timeoutSeconds * 1000);
    const durationMs = now() - started;
    if (exitCode === undefined) await engine.stopContainer(id, 0);
    const run: JobRun = {
      job: job.job,
      exitCode,
      durationMs,
      lastLogLine: lastLine(await engine.containerLogs(id, { tail: LOG_TAIL })),
    };
    await hooks.beforeRemove?.(id, run).catch(() => {});
    return run;
  } catch (error) {
    if (error instanceof DockerPlannerError && error.code === 'JOB_FAILED') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DockerPlannerError('JOB_FAILED', `job ${job.job}: ${message}`, {
      container: body.name,
      image: body.Image,
      cause: error,
    });
  } finally {
    if (id !== undefined) await engine.removeContainer(id);
  }
}

/**
 * Removes the job containers of `deploymentName` a crash left behind (a job runs under the host lock
 * and is always removed when it ends, so any one found outside a run is left over). Returns their names.
 */
export async function removeLeftJobContainers(
  engine: DockerEngine,
  deploymentName: string,
): Promise<string[]> {
  const left = (await engine.listContainers()).filter(
    (c) => c.labels[LABEL_JOB] !== undefined && c.labels[LABEL_DEPLOYMENT] === deploymentName,
  );
  for (const container of left) await engine.removeContainer(container.id);
  return left.map((c) => c.name);
}

function lastLine(output: string): string {
  const line =
    output
      .split(/\r?\n/)
      .map((part) => part.trim())
      .filter(Boolean)
      .at(-1) ?? '';
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
}
