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
    startedAt: '2026-04-28T10:00:00Z',
    restartCount: 0,
    labels: LABELS,
    stopTimeoutSeconds: undefined,
    health: undefined,
    ...extra,
  };
}

/** A health state whose newest probe exited with `lastExitCode` (no probe yet when undefined). */
export function health(status: string, lastExitCode?: number): Existing['health'] {
  const log =
    lastExitCode === undefined
      ? []
      : [{ exitCode: lastExitCode, output: 'x', start: undefined, end: undefined }];
  return { status, failingStreak: status === 'unhealthy' ? 3 : 0, log };
}
