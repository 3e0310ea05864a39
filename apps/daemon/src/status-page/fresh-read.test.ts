import { describe, expect, it } from 'vitest';
import { errorCode, freshRead } from './fresh-read.js';

/** A read the test settles by hand, counting how often it was started. */
function controlledRead<T>() {
  const pending: Array<{ resolve: (value: T) => void; reject: (error: unknown) => void }> = [];
  let calls = 0;
  const read = () => {
    calls++;
    return new Promise<T>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { read, pending, calls: () => calls };
}

describe('freshRead', () => {
  it('pages at the same time share one read; its answer serves every page for ttlMs', async () => {
    let now = 0;
    const engine = controlledRead<string[]>();
    const fetch = freshRead(engine.read, { ttlMs: 5_000, timeoutMs: 60_000, now: () => now });
    const pages = Array.from({ length: 100 }, () => fetch());
    engine.pending[0]?.resolve(['webapp']);
    for (const page of await Promise.all(pages)) expect(page).toEqual({ kind: 'ok', value: ['webapp'] });
    now = 4_999;
    expect(await fetch()).toEqual({ kind: 'ok', value: ['webapp'] });
    expect(engine.calls()).toBe(1);
    now = 5_000; // stale: the next page reads again
    const next = fetch();
    engine.pending[1]?.resolve(['webapp', 'worker']);
    expect(await next).toEqual({ kind: 'ok', value: ['webapp', 'worker'] });
    expect(engine.calls()).toBe(2);
  });

  it('a read that hangs: pages get timeout and start no second read until it settles', async () => {
    const engine = controlledRead<string[]>();
    const fetch = freshRead(engine.read, { ttlMs: 5_000, timeoutMs: 10 });
    expect(await fetch()).toEqual({ kind: 'timeout' });
    expect(await fetch()).toEqual({ kind: 'timeout' });
    expect(engine.calls()).toBe(1);
    engine.pending[0]?.resolve(['webapp']);
    await Promise.resolve();
    expect(await fetch()).toEqual({ kind: 'ok', value: ['webapp'] });
    expect(engine.calls()).toBe(1);
  });

  it('a failure is told once, served as its code for ttlMs, then read again', async () => {
    let now = 0;
    const failures: unknown[] = [];
    const engine = controlledRead<string[]>();
    const fetch = freshRead(engine.read, {
      ttlMs: 1_000,
      timeoutMs: 60_000,
      now: () => now,
      onFailure: (error) => failures.push(error),
    });
    const first = fetch();
    const down = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), {
      code: 'ENGINE_UNREACHABLE',
    });
    engine.pending[0]?.reject(down);
    expect(await first).toEqual({ kind: 'failed', code: 'ENGINE_UNREACHABLE' });
    expect(await fetch()).toEqual({ kind: 'failed', code: 'ENGINE_UNREACHABLE' });
    expect(failures).toEqual([down]);
    now = 1_000;
    const again = fetch();
    engine.pending[1]?.resolve([]);
    expect(await again).toEqual({ kind: 'ok', value: [] });
    expect(engine.calls()).toBe(2);
  });
});

describe('errorCode', () => {
  it.each<[unknown, string]>([
    [Object.assign(new Error('x'), { code: 'ENGINE_TIMEOUT' }), 'ENGINE_TIMEOUT'],
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [Object.assign(new Error('x'), { code: '<b>bold</b>' }), 'ERROR'],
    [Object.assign(new Error('x'), { code: 42 }), 'ERROR'],
    [new Error('no code'), 'ERROR'],
    ['a string', 'ERROR'],
    [null, 'ERROR'],
  ])('%s -> %s', (error, code) => {
    expect(errorCode(error)).toBe(code);
  });
});
