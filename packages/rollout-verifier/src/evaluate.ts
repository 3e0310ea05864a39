import { hashLabelValue, LABEL_DEPLOYMENT, LABEL_HASH } from '@stow/docker-planner';
import type { Observation } from './observation.js';

export interface ExpectedDeployment {
  readonly deploymentName: string;
  /** Deployment hash (64 hex); containers carry `stow.hash=v1:<hash>`. */
  readonly deploymentHash: string;
  readonly containers: readonly string[];
}

export interface ContainerVerdict {
  readonly valid: boolean;
  /** `running`, `healthy`, or why it is not valid: `missing`, `exited (code 3)`, `unhealthy (...)`... */
  readonly reason: string;
  /** Cannot become valid again during this verification (restarted, replaced): fail now. */
  readonly terminal: boolean;
}

export interface Evaluation {
  readonly valid: boolean;
  readonly containers: Readonly<Record<string, ContainerVerdict>>;
}

/**
 * Judges one observation of the deployment (SPEC section 8). Pure. `firstIds`: the container id first seen
 * per name during this verification; a different id now means the container was replaced.
 */
export function evaluate(
  observations: readonly Observation[],
  expected: ExpectedDeployment,
  firstIds: Readonly<Record<string, string>> = {},
): Evaluation {
  const byName = new Map(observations.map((o) => [o.name, o]));
  const containers: Record<string, ContainerVerdict> = {};
  for (const name of expected.containers) {
    containers[name] = judge(byName.get(name), expected, firstIds[name]);
  }
  return { valid: Object.values(containers).every((v) => v.valid), containers };
}

const invalid = (reason: string, terminal = false): ContainerVerdict => ({ valid: false, reason, terminal });

function judge(
  observation: Observation | undefined,
  expected: ExpectedDeployment,
  firstId: string | undefined,
): ContainerVerdict {
  if (!observation?.exists) return invalid('missing');
  const wantedHash = hashLabelValue(expected.deploymentHash);
  if (
    observation.labels[LABEL_DEPLOYMENT] !== expected.deploymentName ||
    observation.labels[LABEL_HASH] !== wantedHash
  ) {
    return invalid('wrong labels');
  }
  if (firstId !== undefined && firstId !== observation.id)
    return invalid('replaced during verification', true);
  const state = stateText(observation);
  if (observation.restartCount > 0) {
    const times = observation.restartCount === 1 ? '1 time' : `${observation.restartCount} times`;
    // RestartCount only drops on a manual start, which verification never does: this will not heal.
    const now = observation.status === 'running' ? '' : `, now ${state}`;
    return invalid(`restarted ${times}${lastExitOf(observation)}${now}`, true);
  }
  if (observation.status !== 'running') return invalid(state);
  const health = observation.health;
  if (health === undefined || health.status === 'healthy')
    return { valid: true, reason: health ? 'healthy' : 'running', terminal: false };
  if (health.status === 'starting') return invalid('health starting');
  if (health.status === 'unhealthy') {
    // Only the exit code: a probe's output may print env values.
    const lastProbe = health.log.at(-1);
    return invalid(
      lastProbe === undefined ? 'unhealthy' : `unhealthy (last probe exit code ${lastProbe.exitCode})`,
    );
  }
  return invalid(`health ${health.status}`);
}

/**
 * Why the last run of a restarted container ended, as inspect still tells it: ` (last exit 137, OOM
 * killed)`. Empty when the state text says it already (exited, dead) or the engine keeps no cause.
 * A running container's exit code is the engine's reset 0, not its last exit: only OOMKilled is
 * shown then (when the engine still reports it; some versions reset it on start, too).
 */
function lastExitOf(observation: Extract<Observation, { exists: true }>): string {
  if (observation.status === 'exited' || observation.status === 'dead') return '';
  const parts: string[] = [];
  if (observation.status !== 'running' && observation.exitCode !== 0)
    parts.push(`last exit ${observation.exitCode}`);
  if (observation.oomKilled) parts.push('OOM killed');
  // Docker 20.10 sets OOMKilled from an event that can arrive after the exit it belongs to: a
  // container the restart policy brings back was seen restarting with exit 137 and the flag unset.
  // Exit 137 is SIGKILL, which is what the OOM killer sends: say so rather than say nothing.
  else if (observation.status !== 'running' && observation.exitCode === 137)
    parts.push('SIGKILL: the OOM killer or a kill');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function stateText(observation: Extract<Observation, { exists: true }>): string {
  switch (observation.status) {
    case 'exited':
    case 'dead':
      return `${observation.status} (code ${observation.exitCode}${observation.oomKilled ? ', OOM killed' : ''})`;
    case 'created':
      return 'created (not started)';
    default:
      return observation.status;
  }
}
