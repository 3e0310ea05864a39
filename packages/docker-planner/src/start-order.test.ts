import { describe, expect, it } from 'vitest';
import { startWaves, stopOrder } from './start-order.js';

describe('startWaves', () => {
  it('keeps manifest order in one wave when nothing depends on anything', () => {
    expect(startWaves(['web', 'db', 'cache'], {})).toEqual([['web', 'db', 'cache']]);
  });

  it('starts dependencies a wave before their dependents; independent containers share a wave', () => {
    const dependsOn = { web: ['db', 'cache'], worker: ['db'], proxy: ['web'] };
    expect(startWaves(['proxy', 'web', 'worker', 'db', 'cache'], dependsOn)).toEqual([
      ['db', 'cache'],
      ['web', 'worker'],
      ['proxy'],
    ]);
  });

  it('ignores dependencies outside the containers it orders', () => {
    expect(startWaves(['web'], { web: ['db'] })).toEqual([['web']]);
  });

  it('refuses a cycle, naming the containers in it', () => {
    expect(() => startWaves(['a', 'b', 'c'], { a: ['b'], b: ['a'] })).toThrow(
      /dependsOn has a cycle among a, b/,
    );
  });
});

describe('stopOrder', () => {
  it('stops dependents before their dependencies: the reverse of the start order', () => {
    expect(stopOrder(['web', 'db', 'proxy'], { web: ['db'], proxy: ['web'] })).toEqual([
      'proxy',
      'web',
      'db',
    ]);
  });
});
