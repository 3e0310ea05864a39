import { describe, expect, it } from 'vitest';
import { decideEnqueue, type EnqueueRequest, type QueueView, strongerTrigger } from './enqueue-decision.js';

const H1 = '1'.repeat(40);
const H2 = '2'.repeat(40);

describe('decideEnqueue', () => {
  const cases: [string, QueueView, EnqueueRequest, string][] = [
    ['idle: start', { pending: false }, { trigger: 'trigger', head: H1 }, 'start'],
    ['idle poll: start', { pending: false }, { trigger: 'poll' }, 'start'],
    [
      'idle, converged to this head just now: the tail of a burst',
      { pending: false, lastConverged: { targetGitRevision: H1, finishedAgoMs: 500 } },
      { trigger: 'trigger', head: H1 },
      'coalesce',
    ],
    [
      'idle, converged to this head long ago: run (drift repair)',
      { pending: false, lastConverged: { targetGitRevision: H1, finishedAgoMs: 60_000 } },
      { trigger: 'trigger', head: H1 },
      'start',
    ],
    [
      'idle, converged to another head just now',
      { pending: false, lastConverged: { targetGitRevision: H1, finishedAgoMs: 500 } },
      { trigger: 'trigger', head: H2 },
      'start',
    ],
    [
      'idle poll after a converge',
      { pending: false, lastConverged: { targetGitRevision: H1, finishedAgoMs: 500 } },
      { trigger: 'poll' },
      'start',
    ],
    [
      'a run targets the same head',
      { current: { trigger: 'trigger', targetGitRevision: H1 }, pending: false },
      { trigger: 'trigger', head: H1 },
      'coalesce',
    ],
    [
      'a run targets an older head',
      { current: { trigger: 'trigger', targetGitRevision: H1 }, pending: false },
      { trigger: 'trigger', head: H2 },
      'queue',
    ],
    [
      'a run has not resolved its head yet',
      { current: { trigger: 'start' }, pending: false },
      { trigger: 'trigger', head: H1 },
      'queue',
    ],
    [
      'the head could not be read',
      { current: { trigger: 'trigger', targetGitRevision: H1 }, pending: false },
      { trigger: 'trigger' },
      'queue',
    ],
    [
      'a poll runs the same head (it skips quarantine)',
      { current: { trigger: 'poll', targetGitRevision: H1 }, pending: false },
      { trigger: 'trigger', head: H1 },
      'queue',
    ],
    [
      'one already waits',
      { current: { trigger: 'trigger', targetGitRevision: H1 }, pending: true },
      { trigger: 'trigger', head: H2 },
      'coalesce',
    ],
    [
      'a poll while busy',
      { current: { trigger: 'trigger', targetGitRevision: H1 }, pending: false },
      { trigger: 'poll' },
      'coalesce',
    ],
  ];
  it.each(cases)('%s', (_name, queue, request, decision) => {
    expect(decideEnqueue(queue, request)).toBe(decision);
  });

  it('merges a trigger into a waiting poll as a trigger', () => {
    expect(strongerTrigger('poll', 'trigger')).toBe('trigger');
    expect(strongerTrigger('trigger', 'poll')).toBe('trigger');
    expect(strongerTrigger('poll', 'poll')).toBe('poll');
  });
});
