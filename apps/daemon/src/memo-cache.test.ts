import { describe, expect, it } from 'vitest';
import { memoCache } from './memo-cache.js';

describe('memoCache', () => {
  it('shares one in-flight computation between concurrent callers', async () => {
    const cache = memoCache<number>({ maxEntries: 10, failureTtlMs: 1000 });
    let calls = 0;
    let release: (value: number) => void = () => {};
    const compute = () => {
      calls++;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };
    const answers = Promise.all(Array.from({ length: 50 }, () => cache.get('k', compute)));
    release(7);
    expect(await answers).toEqual(Array(50).fill(7));
    expect(await cache.get('k', compute)).toBe(7);
    expect(calls).toBe(1);
  });

  it('drops the least recently used entry beyond its bound', async () => {
    const cache = memoCache<string>({ maxEntries: 2, failureTtlMs: 1000 });
    await cache.get('a', async () => 'A');
    await cache.get('b', async () => 'B');
    await cache.get('a', async () => 'A2'); // touches a
    await cache.get('c', async () => 'C');
    expect(cache.size).toBe(2);
    expect(cache.peek('a')).toBe('A');
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('c')).toBe('C');
  });

  it('remembers a failure for its TTL, then computes again', async () => {
    let now = 0;
    const cache = memoCache<string>({ maxEntries: 10, failureTtlMs: 100, now: () => now });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('boom');
    };
    await expect(cache.get('k', failing)).rejects.toThrow('boom');
    await expect(cache.get('k', failing)).rejects.toThrow('boom');
    expect(calls).toBe(1);
    now = 101;
    expect(await cache.get('k', async () => 'ok')).toBe('ok');
  });
});
