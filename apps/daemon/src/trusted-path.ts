import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** One path that breaks a lockdown rule, with every rule it breaks. */
export interface LockdownViolation {
  readonly path: string;
  readonly problems: readonly string[];
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
const STICKY = 0o1000;

export const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/**
 * `openat(dirfd, name)` for Node, which has none: the kernel resolves /proc/self/fd/N to the very
 * directory that fd holds open (not to a path looked up again), and `name` is then looked up in
 * it. A directory renamed or exchanged (renameat2 RENAME_EXCHANGE) after it was opened and checked
 * cannot change what is opened below it.
 */
export const inside = (dir: FileHandle, name: string) => `/proc/self/fd/${dir.fd}/${name}`;

/** Opens `name` in `dir` without following a final symlink (ELOOP) and without blocking on a fifo. */
export async function openInside(dir: FileHandle, name: string, directory: boolean): Promise<FileHandle> {
  const flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | (directory ? O_DIRECTORY : 0);
  return fs.open(inside(dir, name), flags);
}

export function kindOf(stat: Stats): string {
  if (stat.isSymbolicLink()) return 'a symlink';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a fifo';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

const ownerProblem = (stat: Stats) => `is owned by uid ${stat.uid}; must be owned by root (uid 0)`;

/**
 * A directory above a trusted file: owned by root and not writable by group or others, because
 * whoever can write a directory can rename what is in it. A root-owned directory with the sticky
 * bit (like /tmp) is safe: others cannot rename or remove root's entries in it.
 */
export function ancestorProblems(stat: Stats): string[] {
  const problems: string[] = [];
  if (stat.uid !== 0) problems.push(ownerProblem(stat));
  if ((stat.mode & 0o022) !== 0 && (stat.mode & STICKY) === 0) {
    problems.push(
      `has mode ${octal(stat.mode)}: writable by group or others (without the sticky bit), who could swap what is in it`,
    );
  }
  return problems;
}

/** A file the daemon trusts (keys, TLS, sopsBinary): a regular root-owned file nobody else can write. */
export function trustedFileProblems(stat: Stats): string[] {
  if (!stat.isFile()) return [`is ${kindOf(stat)}; must be a regular file`];
  const problems: string[] = [];
  if (stat.uid !== 0) problems.push(ownerProblem(stat));
  if ((stat.mode & 0o022) !== 0) {
    problems.push(`has mode ${octal(stat.mode)}: writable by group or others; chmod go-w it`);
  }
  return problems;
}

const reasonOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** What an open of the final name failed with, as a problem of that path. */
function openProblem(error: unknown): string {
  const code = reasonOf(error);
  if (code === 'ELOOP') return 'is a symlink; must be a regular file';
  if (code === 'ENOTDIR') return 'is not a directory';
  return `cannot be opened (${code})`;
}

/** Closes every handle, ignoring errors: nothing useful can be done about a failed close of a read-only fd. */
async function closeAll(handles: readonly FileHandle[]): Promise<void> {
  await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
}

/**
 * Walks from `/` down to `dir` one directory fd at a time, each opened O_NOFOLLOW inside its parent's
 * fd and checked with fstat (every directory strictly above `dir` against `ancestorProblems`), and
 * hands `dir`'s own handle and stat to `use`. `dir` is resolved once with realpath: a symlink on the
 * way (like /var/run) is allowed, the real chain is what gets checked and used.
 */
export async function withDirectoryChain<T>(
  dir: string,
  use: (handle: FileHandle, stat: Stats, realDir: string, violations: LockdownViolation[]) => Promise<T>,
): Promise<{ violations: LockdownViolation[]; value?: T; realDir: string }> {
  const violations: LockdownViolation[] = [];
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch (error) {
    return { violations: [{ path: dir, problems: [openProblem(error)] }], realDir: dir };
  }
  const handles: FileHandle[] = [];
  try {
    let current = await fs.open('/', O_RDONLY | O_DIRECTORY);
    handles.push(current);
    let currentPath = '/';
    for (const name of realDir.split('/').filter(Boolean)) {
      const stat = await current.stat();
      const problems = ancestorProblems(stat);
      if (problems.length > 0) violations.push({ path: currentPath, problems });
      currentPath = path.join(currentPath, name);
      try {
        current = await openInside(current, name, true);
      } catch (error) {
        violations.push({ path: currentPath, problems: [openProblem(error)] });
        return { violations, realDir };
      }
      handles.push(current);
    }
    const value = await use(current, await current.stat(), realDir, violations);
    return { violations, value, realDir };
  } finally {
    await closeAll(handles);
  }
}

/** The trusted files' size limit: keys, certificates and daemon.yaml are a few KiB. */
export const TRUSTED_FILE_MAX_BYTES = 1024 * 1024;

/** A file too large to read whole, as a problem of its path. */
export function sizeProblem(stat: Stats): string | undefined {
  if (stat.size <= TRUSTED_FILE_MAX_BYTES) return undefined;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
  return `is ${mib(stat.size)}, the limit is ${mib(TRUSTED_FILE_MAX_BYTES)}`;
}

export interface TrustedFile {
  /** The path with its directory resolved (realpath); use this, never the configured one, when a path is needed. */
  readonly path: string;
  /** The bytes read through the checked fd, when asked for and nothing was violated. */
  readonly bytes: Buffer | undefined;
  /** The file's mode as fstat saw it on that fd (undefined when it could not be opened). */
  readonly mode: number | undefined;
  readonly violations: LockdownViolation[];
}

/**
 * Opens a file the daemon trusts through a checked directory chain, checks the file's own fstat
 * (`fileProblems`) and, when asked to and nothing is wrong, reads it through that same fd.
 */
export async function openTrustedFile(
  file: string,
  options: { read: boolean; fileProblems?: (stat: Stats) => string[] },
): Promise<TrustedFile> {
  const checkFile = options.fileProblems ?? trustedFileProblems;
  let mode: number | undefined;
  const { violations, value, realDir } = await withDirectoryChain(
    path.dirname(path.resolve(file)),
    async (dir, dirStat, realDir, chainViolations) => {
      const dirProblems = ancestorProblems(dirStat);
      if (dirProblems.length > 0) chainViolations.push({ path: realDir, problems: dirProblems });
      const realFile = path.join(realDir, path.basename(file));
      let handle: FileHandle;
      try {
        handle = await openInside(dir, path.basename(file), false);
      } catch (error) {
        chainViolations.push({ path: realFile, problems: [openProblem(error)] });
        return undefined;
      }
      try {
        const stat = await handle.stat();
        mode = stat.mode;
        const tooLarge = options.read ? sizeProblem(stat) : undefined;
        const problems = [...checkFile(stat), ...(tooLarge ? [tooLarge] : [])];
        if (problems.length > 0) chainViolations.push({ path: realFile, problems });
        if (!options.read || chainViolations.length > 0) return undefined;
        return await handle.readFile();
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  );
  return { path: path.join(realDir, path.basename(file)), bytes: value, mode, violations };
}
