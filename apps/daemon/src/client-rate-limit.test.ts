import { describe, expect, it } from 'vitest';
import { boundedWork } from './bounded-work.js';
import { clientRateLimit } from './client-rate-limit.js';

describe('clientRateLimit', () => {
  it('grants a burst, then one per refill interval, per client; says how long to wait', () => {
    let now = 0;
    const limit = clientRateLimit({ perMinute: 6, burst: 2, now: () => now });
    expect([limit.take('a'), limit.take('a')]).toEqual([0, 0]);
    expect(limit.take('a')).toBe(10); // one token per 10 s
    expect(limit.take('b')).toBe(0);
    now += 10_000;
    expect(limit.take('a')).toBe(0);
    expect(limit.take('a')).toBeGreaterThan(0);
  });

  it('forgets the least recently seen client beyond its bound', () => {
    const limit = clientRateLimit({ perMinute: 1, burst: 1, maxClients: 2, now: () => 0 });
    expect(limit.take('a')).toBe(0);
    expect(limit.take('b')).toBe(0);
    expect(limit.take('c')).toBe(0); // a is forgotten
    expect(limit.take('a')).toBe(0);
  });

  it('refuses nonsense bounds', () => {
    expect(() => clientRateLimit({ perMinute: 0, burst: 1 })).toThrow(RangeError);
    expect(() => clientRateLimit({ perMinute: 1, burst: 0 })).toThrow(RangeError);
    expect(() => boundedWork({ concurrency: 0, queueLength: 1, onFull: () => new Error('full') })).toThrow(
      RangeError,
    );
    expect(() => boundedWork({ concurrency: 1, queueLength: -1, onFull: () => new Error('full') })).toThrow(
      RangeError,
    );
  });
});
