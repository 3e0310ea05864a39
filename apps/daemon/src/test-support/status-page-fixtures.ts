import type { HistoryEntry } from '@stow/reconciler';
import type { DeploymentContainer } from '../backend.js';

const hex = (char: string, length: number) => char.repeat(length);
const at = (now: number, minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

/** A realistic host after a rollback: what the engine reports (the old deployment, restored). */
export function restoredContainers(now: number): DeploymentContainer[] {
  return [
    {
      name: 'webapp',
      state: 'running',
      health: 'healthy',
      image: `registry.example.com/apps/webapp:20260427.2@sha256:${hex('6f1e2d4c', 8)}`,
      imageId: `sha256:${hex('a', 64)}`,
      restartCount: 0,
      startedAt: at(now, 7),
    },
    {
      name: 'worker',
      state: 'running',
      health: undefined,
      image: 'registry.example.com/apps/worker:20260427.2',
      imageId: `sha256:${hex('0a1b2c3d', 8)}`,
      restartCount: 2,
      startedAt: at(now, 7),
    },
  ];
}

function entry(overrides: Partial<HistoryEntry> & Pick<HistoryEntry, 'id' | 'outcome'>): HistoryEntry {
  return {
    trigger: 'poll',
    started_at: '2026-04-28T10:00:00.000Z',
    finished_at: '2026-04-28T10:00:01.000Z',
    count: 1,
    git_revision: hex('1', 40),
    deployment_hash: hex('a', 64),
    step: null,
    reason: null,
    actions: [],
    jobs: [],
    failed_containers: [],
    ...overrides,
  };
}

/**
 * The history of that host, newest first: a deploy of `head` that failed verification and rolled
 * back, after a long run of noops on `old` and the deploy that brought `old`.
 */
export function rollbackHistory(now: number, commits: { old: string; head: string }): HistoryEntry[] {
  return [
    entry({
      id: '5e1f0c2a9b7d',
      trigger: 'trigger',
      outcome: 'rolledBack',
      started_at: at(now, 9),
      finished_at: at(now, 7),
      git_revision: commits.head,
      deployment_hash: hex('b', 64),
      step: 'verify',
      reason: 'webapp: unhealthy after 60 s (healthcheck: wget: server returned error: HTTP/1.1 500)',
      actions: [
        { container: 'webapp', action: 'replace', reason: 'image changed (20260427.2 -> 20260428.0)' },
        { container: 'worker', action: 'noop', reason: 'unchanged' },
      ],
      jobs: [{ job: 'migrate', when: 'beforeApply', outcome: 'succeeded', exit_code: 0, duration_ms: 4_210 }],
      failed_containers: [
        { name: 'webapp', exit_code: null, oom_killed: false, health: 'unhealthy', has_logs: true },
      ],
    }),
    entry({
      id: '3c9d8e7f6a5b',
      outcome: 'converged',
      count: 42,
      started_at: at(now, 3 * 60 + 30),
      finished_at: at(now, 12),
      git_revision: commits.old,
    }),
    entry({
      id: '0b1c2d3e4f5a',
      trigger: 'trigger',
      outcome: 'converged',
      started_at: at(now, 3 * 60 + 40),
      finished_at: at(now, 3 * 60 + 38),
      git_revision: commits.old,
      actions: [
        { container: 'webapp', action: 'replace', reason: 'image changed (20260427.1 -> 20260427.2)' },
        { container: 'worker', action: 'replace', reason: 'image changed (20260427.1 -> 20260427.2)' },
      ],
      jobs: [{ job: 'migrate', when: 'beforeApply', outcome: 'succeeded', exit_code: 0, duration_ms: 3_050 }],
    }),
    entry({
      id: '9a8b7c6d5e4f',
      outcome: 'failed',
      step: 'fetch',
      reason: 'the deployment repository cannot be reached (GitLab answered 502)',
      started_at: at(now, 5 * 60),
      finished_at: at(now, 5 * 60 - 0.5),
      git_revision: null,
      deployment_hash: null,
    }),
  ];
}
