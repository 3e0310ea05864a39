import { describe, expect, it } from 'vitest';
import { type StatusFacts, statusOf } from './status-of.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const none = new Map<string, string>();

describe('statusOf', () => {
  const cases: [
    string,
    Omit<StatusFacts, 'expected' | 'failed'> & { failed?: Map<string, string> },
    string,
  ][] = [
    ['host runs it', { running: A }, 'running'],
    ['host runs another', { running: B }, 'different'],
    ['nothing runs yet', {}, 'different'],
    ['being applied', { running: B, inProgress: { deploymentHash: A, applying: true } }, 'reconciling'],
    [
      'in progress, not yet applying, host runs another',
      { running: B, inProgress: { deploymentHash: A, applying: false } },
      'reconciling',
    ],
    [
      'a drift check of what already runs',
      { running: A, inProgress: { deploymentHash: A, applying: false } },
      'running',
    ],
    [
      'drift repair of what runs (applying)',
      { running: A, inProgress: { deploymentHash: A, applying: true } },
      'reconciling',
    ],
    [
      'in progress targets another',
      { running: B, inProgress: { deploymentHash: B, applying: true } },
      'different',
    ],
    [
      'pending targets it',
      { running: B, pending: A, inProgress: { deploymentHash: B, applying: true } },
      'queued',
    ],
    ['pending targets what already runs', { running: A, pending: A }, 'running'],
    ['failed before', { running: B, failed: new Map([[A, 'web: unhealthy']]) }, 'error'],
    ['failed before but queued again', { running: B, pending: A, failed: new Map([[A, 'x']]) }, 'queued'],
    [
      'failed before but being applied again',
      { running: B, inProgress: { deploymentHash: A, applying: true }, failed: new Map([[A, 'x']]) },
      'reconciling',
    ],
    ['another hash failed', { running: B, failed: new Map([[B, 'x']]) }, 'different'],
  ];
  it.each(cases)('%s', (_name, facts, state) => {
    expect(statusOf({ expected: A, failed: none, ...facts }).state).toBe(state);
  });

  it('names the reason of a failure', () => {
    expect(statusOf({ expected: A, running: B, failed: new Map([[A, 'web: restarted 2 times']]) })).toEqual({
      state: 'error',
      error: 'web: restarted 2 times',
    });
  });
});
