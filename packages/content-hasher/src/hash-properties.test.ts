import { promises as fs } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashDeployment } from './hash-deployment.js';
import { tempDir } from './test-support/tree.js';

// Small alphabets make collisions of prefixes (a/b vs a-c, a vs a.b) frequent, which is the point.
const segment = fc.stringMatching(/^[aAb.\-_é0 ]{1,4}$/).filter((s) => s !== '.' && s !== '..');
const relativePath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const contents = fc.uint8Array({ maxLength: 64 });

/** A set of files whose paths do not clash (no file is also a directory of another). */
const tree = fc
  .uniqueArray(fc.tuple(relativePath, contents), { minLength: 1, maxLength: 8, selector: ([p]) => p })
  .filter((entries) => {
    const paths = entries.map(([p]) => p);
    return !paths.some((a) => paths.some((b) => b.startsWith(`${a}/`)));
  });

async function materialise(entries: Array<[string, Uint8Array]>, order: number[], mtime?: Date) {
  const { dir, cleanup } = tempDir('stow-prop-');
  for (const index of order) {
    const entry = entries[index];
    if (!entry) continue;
    const [relative, data] = entry;
    const target = path.join(dir, relative);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, data);
    if (mtime) await fs.utimes(target, mtime, mtime);
  }
  return { dir, cleanup };
}

async function hashOf(entries: Array<[string, Uint8Array]>, order?: number[], mtime?: Date) {
  const { dir, cleanup } = await materialise(entries, order ?? entries.map((_, i) => i), mtime);
  try {
    return (await hashDeployment(dir)).deploymentHash;
  } finally {
    cleanup();
  }
}

describe('hash properties', () => {
  it('creation order and mtimes never change the hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        tree.chain((entries) =>
          fc.tuple(
            fc.constant(entries),
            fc.shuffledSubarray(
              entries.map((_, i) => i),
              { minLength: entries.length },
            ),
          ),
        ),
        fc.date({ min: new Date(2000, 0, 1), max: new Date(2030, 0, 1), noInvalidDate: true }),
        async ([entries, order], mtime) => {
          expect(await hashOf(entries, order, mtime)).toBe(await hashOf(entries));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('any content change changes the hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        async (entries, pick, extra) => {
          const index = pick % entries.length;
          const changed = entries.map(([p, d], i): [string, Uint8Array] =>
            i === index ? [p, new Uint8Array([...d, ...extra])] : [p, d],
          );
          expect(await hashOf(changed)).not.toBe(await hashOf(entries));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('any rename changes the hash', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.nat(), async (entries, pick) => {
        const index = pick % entries.length;
        const renamed = entries.map(([p, d], i): [string, Uint8Array] =>
          i === index ? [`${p}x`, d] : [p, d],
        );
        const paths = renamed.map(([p]) => p);
        fc.pre(
          new Set(paths).size === paths.length &&
            !paths.some((a) => paths.some((b) => b.startsWith(`${a}/`))),
        );
        expect(await hashOf(renamed)).not.toBe(await hashOf(entries));
      }),
      { numRuns: 40 },
    );
  });
});
