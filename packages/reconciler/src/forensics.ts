import {
  type ContainerInspection,
  type DockerEngine,
  hashLabelValue,
  LABEL_HASH,
} from '@stow/docker-planner';
import {
  type FailedContainerLogs,
  type FailedContainerSummary,
  FORENSIC_HEALTH_OUTPUTS,
  FORENSIC_LOG_LINES,
} from './history-entry.js';
import type { ReconcileLog } from './reconcile-log.js';
import type { Redactor } from './secret-redactor.js';
import { reasonOf } from './step-failure.js';

/** At most this many failed containers (jobs included) are recorded per reconcile. */
export const FORENSIC_MAX_CONTAINERS = 10;
/** Longer log lines and probe outputs are cut (after redaction, so no cut leaves part of a secret). */
export const FORENSIC_MAX_LINE = 500;
/** All captures of one reconcile together give up after this long (default; `forensicsTimeoutMs`). */
export const FORENSIC_TIMEOUT_MS = 15_000;

/** One failed container or job as recorded: `logs` undefined when no forensics could be kept. */
export interface CapturedContainer {
  readonly summary: FailedContainerSummary;
  readonly logs: FailedContainerLogs | undefined;
}

/**
 * Failure forensics of one reconcile: before a failed container or job is removed, its exit code,
 * OOMKilled flag, health, last log lines and last health-probe outputs, with every decrypted secret
 * value replaced. Bounded in containers, characters and time; never throws: a capture that fails
 * or takes too long is logged and skipped, and whatever removes the container goes on.
 */
export class FailureForensics {
  readonly captured: CapturedContainer[] = [];
  private deadline: number | undefined;

  constructor(
    private readonly engine: DockerEngine,
    private readonly log: ReconcileLog,
    private readonly timeoutMs = FORENSIC_TIMEOUT_MS,
  ) {}

  /**
   * Records the containers among `names` that carry `deploymentHash` and failed (exited, restarted,
   * OOM-killed, unhealthy or never healthy).
   */
  async captureFailed(names: readonly string[], deploymentHash: string, redact: Redactor): Promise<void> {
    for (const name of names) {
      await this.bounded(name, async (remaining) => {
        const inspected = await remaining(this.engine.inspectContainer(name));
        if (inspected?.labels[LABEL_HASH] !== hashLabelValue(deploymentHash) || !failed(inspected)) return;
        await this.record(inspected, name, redact, remaining);
      });
    }
  }

  /** Records one container that failed (a job's, by id) under `name` (`job:<name>`). */
  async capture(idOrName: string, name: string, redact: Redactor): Promise<void> {
    await this.bounded(name, async (remaining) => {
      const inspected = await remaining(this.engine.inspectContainer(idOrName));
      if (inspected) await this.record(inspected, name, redact, remaining);
    });
  }

  /** Its state as inspected, and its logs when they can be read in time (else `has_logs: false`). */
  private async record(
    inspected: ContainerInspection,
    name: string,
    redact: Redactor,
    remaining: <T>(work: Promise<T>) => Promise<T>,
  ): Promise<void> {
    const exitCode = ['exited', 'dead', 'restarting'].includes(inspected.status) ? inspected.exitCode : null;
    const health = healthOf(inspected);
    let logs: FailedContainerLogs | undefined;
    try {
      const text = await remaining(this.engine.containerLogs(inspected.id, { tail: FORENSIC_LOG_LINES }));
      logs = {
        name,
        exit_code: exitCode,
        oom_killed: inspected.oomKilled,
        log_lines: linesOf(redact(text)).slice(-FORENSIC_LOG_LINES).map(cut),
        health_outputs: (inspected.health?.log ?? [])
          .slice(-FORENSIC_HEALTH_OUTPUTS)
          .map((probe) => cut(redact(probe.output).trim())),
      };
    } catch (error) {
      this.log.log('warn', 'could not read the logs of a failed container', {
        container: name,
        reason: reasonOf(error),
      });
    }
    this.captured.push({
      summary: { name, exit_code: exitCode, oom_killed: inspected.oomKilled, health, has_logs: !!logs },
      logs,
    });
  }

  /** Runs one capture within the container bound and what is left of the time bound; never throws. */
  private async bounded(
    name: string,
    capture: (remaining: <T>(work: Promise<T>) => Promise<T>) => Promise<void>,
  ): Promise<void> {
    if (this.captured.length >= FORENSIC_MAX_CONTAINERS) return;
    this.deadline ??= Date.now() + this.timeoutMs;
    const deadline = this.deadline;
    try {
      await capture((work) => beforeDeadline(work, deadline));
    } catch (error) {
      this.log.log('warn', 'could not record the forensics of a failed container', {
        container: name,
        reason: reasonOf(error),
      });
    }
  }
}

/** What verification rejects and what is worth a look: not a container that never started. */
function failed(inspected: ContainerInspection): boolean {
  return (
    ['exited', 'dead', 'restarting'].includes(inspected.status) ||
    inspected.restartCount > 0 ||
    inspected.oomKilled ||
    (inspected.health !== undefined && inspected.health.status !== 'healthy')
  );
}

function healthOf(inspected: ContainerInspection): FailedContainerSummary['health'] {
  const status = inspected.health?.status;
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : null;
}

function linesOf(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function cut(line: string): string {
  if (line.length <= FORENSIC_MAX_LINE) return line;
  // Never end on half of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(line.charAt(FORENSIC_MAX_LINE - 1))
    ? FORENSIC_MAX_LINE - 1
    : FORENSIC_MAX_LINE;
  return `${line.slice(0, end)}…`;
}

/**
 * Wall-clock time, not the reconcile's clock: this bounds how long an engine call may keep a
 * rollback waiting, whatever clock the verification windows run on.
 */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('gave up: the capture ran out of time')),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
