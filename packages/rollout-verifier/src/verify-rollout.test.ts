import { describe, expect, it } from 'vitest';
import { RolloutVerifierError } from './errors.js';
import type { Observation } from './observation.js';
import { missingObservation } from './observation.js';
import { HASH, health, running } from './test-support/observations.js';
import type { Clock, VerifyOptions } from './verify-rollout.js';
import { verifyRollout } from './verify-rollout.js';

/** A clock that only moves when the verifier sleeps. */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const expected = { deploymentName: 'shop', deploymentHash: HASH, containers: ['web', 'db'] };
const OK: Observation[] = [running('web'), running('db')];
const UNHEALTHY: Observation[] = [running('web', { health: health('unhealthy', 1) }), running('db')];
const STARTING: Observation[] = [running('web', { health: health('starting') }), running('db')];

/** Feeds the observations in order, repeating the last one; records how many polls happened. */
function sequence(list: Observation[][]) {
  let index = 0;
  const observe = async () => list[Math.min(index++, list.length - 1)] ?? [];
  return { observe, polls: () => index };
}

async function run(list: Observation[][], options: Partial<VerifyOptions> = {}) {
  const clock = fakeClock();
  const seq = sequence(list);
  const outcome = await verifyRollout({
    observe: seq.observe,
    clock,
    stableMs: 3000,
    timeoutMs: 10_000,
    pollMs: 1000,
    expected,
    ...options,
  });
  return { outcome, polls: seq.polls(), clock };
}

describe('verifyRollout', () => {
  it('passes after a full stable window', async () => {
    const { outcome, polls } = await run([OK]);
    expect(outcome).toEqual({ ok: true, stableSinceMs: 0, elapsedMs: 3000 });
    expect(polls).toBe(4);
  });

  it('waits for health to settle; the window starts at the first valid observation', async () => {
    const { outcome } = await run([STARTING, STARTING, OK]);
    expect(outcome).toEqual({ ok: true, stableSinceMs: 2000, elapsedMs: 5000 });
  });

  it('a flap resets the stable window', async () => {
    const { outcome } = await run([OK, OK, UNHEALTHY, OK, OK, OK, OK]);
    expect(outcome).toEqual({ ok: true, stableSinceMs: 3000, elapsedMs: 6000 });
  });

  it('stableMs 0: one valid observation suffices', async () => {
    const { outcome, polls } = await run([STARTING, OK], { stableMs: 0 });
    expect(outcome).toEqual({ ok: true, stableSinceMs: 1000, elapsedMs: 1000 });
    expect(polls).toBe(2);
  });

  it('sleeps only until the window completes when that comes before the next poll', async () => {
    const { outcome, clock } = await run([OK], { stableMs: 2500 });
    expect(outcome).toMatchObject({ ok: true, elapsedMs: 2500 });
    expect(clock.sleeps).toEqual([1000, 1000, 500]);
  });

  it('a restart after looking good fails at once with the restart count', async () => {
    const restarted = [running('web'), running('db', { restartCount: 2 })];
    const { outcome } = await run([OK, OK, restarted]);
    expect(outcome).toEqual({
      ok: false,
      reasons: { db: 'restarted 2 times' },
      summary: 'db: restarted 2 times',
      elapsedMs: 2000,
      early: true,
    });
  });

  it('a container replaced during verification fails', async () => {
    const { outcome } = await run([OK, [running('web', { id: 'other' }), running('db')]]);
    expect(outcome).toMatchObject({
      ok: false,
      reasons: { web: 'replaced during verification' },
      early: true,
    });
  });

  it('fails early once a full window can no longer fit, with the last reason per container', async () => {
    // timeout 10 s, window 3 s, poll 1 s: at t=7 s the next poll (8 s) + 3 s > 10 s.
    const both = [
      running('web', { health: health('unhealthy', 1) }),
      running('db', { status: 'exited', exitCode: 2 }),
    ];
    const { outcome, polls } = await run([STARTING, STARTING, UNHEALTHY, UNHEALTHY, both]);
    expect(outcome).toEqual({
      ok: false,
      reasons: { web: 'unhealthy (last probe exit code 1)', db: 'exited (code 2)' },
      summary: 'web: unhealthy (last probe exit code 1); db: exited (code 2)',
      elapsedMs: 7000,
      early: true,
    });
    expect(polls).toBe(8);
  });

  it('reports the last invalid observation, not an earlier one', async () => {
    const { outcome } = await run([UNHEALTHY, [running('web'), missingObservation('db')]]);
    expect(outcome).toMatchObject({ ok: false, reasons: { db: 'missing' }, summary: 'db: missing' });
  });

  it('fails early when a full window can no longer fit', async () => {
    // Valid from t=7 s: the window ends exactly at the deadline.
    const fits = [...Array.from({ length: 7 }, () => STARTING), OK];
    expect((await run(fits)).outcome).toEqual({ ok: true, stableSinceMs: 7000, elapsedMs: 10_000 });
    // Still starting at t=7 s: 7 + 1 + 3 > 10, fail early.
    const late7 = [...Array.from({ length: 8 }, () => STARTING), OK];
    const { outcome } = await run(late7);
    expect(outcome).toMatchObject({
      ok: false,
      early: true,
      elapsedMs: 7000,
      reasons: { web: 'health starting' },
    });
    const late = await run([STARTING, OK, OK, UNHEALTHY, OK, OK, OK, OK, OK, OK, OK], {
      stableMs: 7000,
      timeoutMs: 10_000,
    });
    // t=3 unhealthy, valid from t=4; 3 + 1 + 7 > 10 -> early at t=3.
    expect(late.outcome).toMatchObject({ ok: false, early: true, elapsedMs: 3000 });
  });

  it('with the window equal to the timeout, reports "stable for only" at the deadline', async () => {
    const { outcome } = await run([OK, OK, OK, OK, STARTING, OK], { stableMs: 5000, timeoutMs: 5000 });
    // Invalid at t=4 s: 4 + 1 + 5 > 5 -> early failure with that reason.
    expect(outcome).toMatchObject({ ok: false, early: true, reasons: { web: 'health starting' } });
    const flat = await run([OK], { stableMs: 5000, timeoutMs: 5000 });
    expect(flat.outcome).toEqual({ ok: true, stableSinceMs: 0, elapsedMs: 5000 });
  });

  it('a window that starts too late to end before the timeout fails at once (slow observations)', async () => {
    const clock = fakeClock();
    let polls = 0;
    // Each observation takes 1.5 s; invalid for the first two.
    const observe = async () => {
      polls++;
      await clock.sleep(1500);
      return polls <= 2 ? STARTING : OK;
    };
    const outcome = await verifyRollout({
      observe,
      clock,
      stableMs: 2000,
      timeoutMs: 8000,
      pollMs: 1000,
      expected,
    });
    // Polls at 1.5 s, 4 s (both starting; 4 + 1 + 2 <= 8), 6.5 s valid: 6.5 + 2 > 8.
    expect(outcome).toEqual({
      ok: false,
      reasons: { web: 'health starting' },
      summary:
        'web: health starting; valid since 6500 ms, too late for a 2000 ms stable window within 8000 ms',
      elapsedMs: 6500,
      early: true,
    });
  });

  it('rejects impossible options', async () => {
    await expect(run([OK], { stableMs: 20_000, timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(run([OK], { pollMs: 0 })).rejects.toBeInstanceOf(RolloutVerifierError);
  });

  it('counts an engine it cannot reach as invalid observations: the window starts again once it answers', async () => {
    const clock = fakeClock();
    const answers: Array<Observation[] | Error> = [
      OK,
      new Error('connect ENOENT /var/run/docker.sock'),
      new Error('socket hang up'),
      OK,
    ];
    let index = 0;
    const outcome = await verifyRollout({
      observe: async () => {
        const answer = answers[Math.min(index++, answers.length - 1)];
        if (answer instanceof Error) throw answer;
        return answer ?? [];
      },
      clock,
      stableMs: 3000,
      timeoutMs: 10_000,
      pollMs: 1000,
      expected,
    });
    expect(outcome).toEqual({ ok: true, stableSinceMs: 3000, elapsedMs: 6000 });
  });

  it('fails at the timeout when the engine never answers, naming why nothing was observed', async () => {
    const { outcome } = await run([], {
      observe: async () => {
        throw new Error('socket hang up');
      },
    });
    expect(outcome).toMatchObject({
      ok: false,
      summary: 'web: not observed (socket hang up); db: not observed (socket hang up)',
    });
  });

  it('reports progress on every poll', async () => {
    const seen: Array<number | undefined> = [];
    await run([STARTING, OK], { onProgress: (p) => seen.push(p.stableForMs) });
    expect(seen).toEqual([undefined, 0, 1000, 2000, 3000]);
  });
});
