import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SnapshotStoreError } from './errors.js';
import { ioError } from './fs-util.js';

/** Who holds the lock, as written into the lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly purpose: string;
  readonly since: string;
}

export interface HostLock {
  readonly owner: LockOwner;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** What the holder is doing, shown to whoever has to wait: "reconcile", "daemon". */
  readonly purpose: string;
  /** How long to wait for a live holder; 0 fails at once. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** For tests: is this process alive? */
  readonly isAlive?: (pid: number) => boolean;
}

/**
 * One apply at a time per host: an exclusive lock file shared by the CLI and the daemon. It is taken by
 * `link(2)`, which fails when the file exists, so two takers can never both win. A lock left by a dead
 * process (kill -9, power loss) is taken over at once: its pid no longer runs.
 */
export async function acquireHostLock(lockFile: string, options: AcquireOptions): Promise<HostLock> {
  const owner: LockOwner = { pid: process.pid, purpose: options.purpose, since: new Date().toISOString() };
  const isAlive = options.isAlive ?? processIsAlive;
  const deadline = Date.now() + (options.waitMs ?? 0);
  const candidate = `${lockFile}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(candidate, `${JSON.stringify(owner)}\n`, { mode: 0o600 }).catch((cause: unknown) => {
    throw ioError(`cannot create lock file beside ${lockFile}`, lockFile, cause);
  });
  try {
    for (;;) {
      try {
        await fs.link(candidate, lockFile);
        return { owner, release: () => releaseIfOurs(lockFile, owner) };
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'EEXIST')
          throw ioError(`cannot take ${lockFile}`, lockFile, cause);
      }
      const holder = await readOwner(lockFile);
      if (holder === undefined) continue; // released between our attempts: try again at once
      if (!isAlive(holder.pid)) {
        await takeOverStale(lockFile, holder);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new SnapshotStoreError(
          'LOCK_HELD',
          `another stow process holds ${lockFile} (pid ${holder.pid}, ${holder.purpose} since ${holder.since}); only one apply may run on a host at a time`,
          { path: lockFile },
        );
      }
      await sleep(options.pollMs ?? 200);
    }
  } finally {
    await fs.rm(candidate, { force: true });
  }
}

async function readOwner(lockFile: string): Promise<LockOwner | undefined> {
  try {
    const text = await fs.readFile(lockFile, 'utf8');
    return JSON.parse(text) as LockOwner;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // An unreadable or torn lock file cannot name a live holder: treat it as stale.
    return { pid: -1, purpose: 'unknown', since: 'unknown' };
  }
}

/**
 * Moves a dead holder's lock aside. If a racing taker replaced the stale lock with its own live one
 * between our read and our rename, we moved the wrong file: put it back (link fails rather than clobber).
 */
async function takeOverStale(lockFile: string, holder: LockOwner): Promise<void> {
  const aside = `${lockFile}.stale-${holder.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockFile, aside);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(`cannot clear stale ${lockFile}`, lockFile, cause);
  }
  const moved = await readOwner(aside);
  if (moved && (moved.pid !== holder.pid || moved.since !== holder.since)) {
    await fs.link(aside, lockFile).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

async function releaseIfOurs(lockFile: string, owner: LockOwner): Promise<void> {
  const holder = await readOwner(lockFile);
  if (holder?.pid === owner.pid && holder.since === owner.since) await fs.rm(lockFile, { force: true });
}

export function processIsAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
