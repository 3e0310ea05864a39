import type { Observation } from '../observation.js';

export const HASH = 'c'.repeat(64);
export const LABELS = { 'stow.deployment': 'shop', 'stow.hash': `v1:${HASH}` };

type Existing = Extract<Observation, { exists: true }>;

/** A running, valid container observation; override what a case needs. */
export function running(name: string, extra: Partial<Existing> = {}): Observation {
  return {
    name,
    exists: true,
    id: `id-${name}`,
    status: 'running',
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    labels: LABELS,
    health: undefined,
    ...extra,
  };
}

export function health(status: string, lastExitCode?: number): Existing['health'] {
  return { status, failingStreak: status === 'unhealthy' ? 3 : 0, lastExitCode };
}
