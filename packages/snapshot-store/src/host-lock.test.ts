import { execFile, spawnSync } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from './host-lock.js';

const root = mkdtempSync(path.join(tmpdir(), 'stow-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const lockFile = () => path.join(root, `lock-${counter++}`);

describe('host lock', () => {
  it('is exclusive and names its holder to whoever has to wait', async () => {
    const file = lockFile();
    const held = await acquireHostLock(file, { purpose: 'reconcile' });
    const error = await acquireHostLock(file, { purpose: 'daemon', isAlive: () => true }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'LOCK_HELD' });
    expect(String((error as Error).message)).toMatch(
      new RegExp(`another stow process holds .*lock-0 \\(pid ${process.pid}, reconcile since `),
    );
    await held.release();
    const again = await acquireHostLock(file, { purpose: 'daemon' });
    await again.release();
    await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for a live holder up to waitMs', async () => {
    const file = lockFile();
    const held = await acquireHostLock(file, { purpose: 'reconcile' });
    setTimeout(() => void held.release(), 300);
    const started = Date.now();
    const second = await acquireHostLock(file, { purpose: 'daemon', waitMs: 5000, pollMs: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await second.release();
  });

  it('takes over at once from a holder that died without releasing (kill -9)', async () => {
    const file = lockFile();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await fs.writeFile(file, JSON.stringify({ pid: dead, purpose: 'reconcile', since: 'then' }));
    const lock = await acquireHostLock(file, { purpose: 'reconcile' });
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('lets exactly one of several processes racing for it win', async () => {
    const file = lockFile();
    // Each contender is a separate Node process running the built module (turbo builds before testing).
    const built = new URL('../dist/host-lock.js', import.meta.url);
    const script = `const { acquireHostLock } = await import(${JSON.stringify(built.href)});
      try { await acquireHostLock(${JSON.stringify(file)}, { purpose: 'race' }); console.log('won');
        await new Promise((r) => setTimeout(r, 1500)); } catch (e) { console.log(e.code); }`;
    const run = () =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]).then((r) =>
        r.stdout.trim(),
      );
    const outcomes = await Promise.all([run(), run(), run(), run()]);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'LOCK_HELD')).toHaveLength(3);
  });
});
