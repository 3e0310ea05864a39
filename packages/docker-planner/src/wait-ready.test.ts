import { describe, expect, it } from 'vitest';
import { FakeEngine } from './testing/fake-engine.js';
import { waitUntilReady } from './wait-ready.js';

/** A clock that advances only when slept on: the wait's deadline is reached without waiting. */
function steppingClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

function engineWith(state: string, health?: string, exitCode = 0): FakeEngine {
  const engine = new FakeEngine();
  engine.addContainer({
    id: 'db-1',
    name: 'db',
    state,
    labels: {},
    exitCode,
    health: health === undefined ? undefined : { status: health, failingStreak: 0, log: [] },
  });
  return engine;
}

const db = [{ name: 'db', id: 'db-1' }];

describe('waitUntilReady', () => {
  it.each([
    ['running without a healthcheck', 'running', undefined],
    ['running and healthy', 'running', 'healthy'],
  ])('returns at once for a dependency %s', async (_name, state, health) => {
    const engine = engineWith(state, health);
    await waitUntilReady(engine, db, { timeoutMs: 10_000, clock: steppingClock() });
    expect(engine.calls).toEqual(['inspect db-1']);
  });

  it('polls a starting healthcheck until the timeout, then names the dependency and its state', async () => {
    const engine = engineWith('running', 'starting');
    await expect(
      waitUntilReady(engine, db, { timeoutMs: 3000, pollMs: 1000, clock: steppingClock() }),
    ).rejects.toMatchObject({
      code: 'DEPENDENCY_NOT_READY',
      message: expect.stringMatching(/not ready within 3 s \(db is starting\)/),
    });
    expect(engine.calls).toHaveLength(4);
  });

  it.each([
    ['exited', 'exited', undefined, /db exited with code 3/],
    ['unhealthy', 'running', 'unhealthy', /db is unhealthy/],
  ])('fails at once when a dependency has %s', async (_name, state, health, message) => {
    const engine = engineWith(state, health, 3);
    await expect(waitUntilReady(engine, db, { timeoutMs: 60_000, clock: steppingClock() })).rejects.toThrow(
      message,
    );
    expect(engine.calls).toEqual(['inspect db-1']);
  });

  it('fails when a dependency is gone', async () => {
    await expect(
      waitUntilReady(new FakeEngine(), db, { timeoutMs: 1000, clock: steppingClock() }),
    ).rejects.toThrow(/db is gone/);
  });
});
