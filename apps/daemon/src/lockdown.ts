import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DaemonError } from './errors.js';

/** The part of an lstat result the lockdown looks at. */
export interface LockdownStat {
  readonly uid: number;
  readonly mode: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}

/** The filesystem the lockdown reads; injected so that tests need no root. */
export interface LockdownFs {
  lstat(file: string): Promise<LockdownStat>;
  readdir(dir: string): Promise<string[]>;
}

export const nodeLockdownFs: LockdownFs = {
  lstat: (file) => fs.lstat(file),
  readdir: (dir) => fs.readdir(dir),
};

export interface LockdownViolation {
  readonly path: string;
  readonly problems: readonly string[];
}

const DIR_MODE = 0o500;
const FILE_MODE = 0o400;
const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

function kindOf(stat: LockdownStat): string {
  if (stat.isSymbolicLink()) return 'a symlink';
  if (stat.isFIFO()) return 'a fifo';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

/** The problems of one entry: owner root, directories 0500, files 0400, nothing else. */
export function problemsOf(stat: LockdownStat): string[] {
  const problems: string[] = [];
  if (!stat.isFile() && !stat.isDirectory()) {
    problems.push(`is ${kindOf(stat)}; only regular files and directories may be here`);
  }
  if (stat.uid !== 0) problems.push(`is owned by uid ${stat.uid}; must be owned by root (uid 0)`);
  const wanted = stat.isDirectory() ? DIR_MODE : stat.isFile() ? FILE_MODE : undefined;
  if (wanted !== undefined && (stat.mode & 0o7777) !== wanted) {
    problems.push(
      `has mode ${octal(stat.mode)}; ${stat.isDirectory() ? 'directories' : 'files'} must be mode ${octal(wanted)}`,
    );
  }
  return problems;
}

/**
 * Every violation of the config lockdown (SPEC section 10) under the config file's directory, the
 * directory itself included, in a stable order. Symlinks are reported, never followed.
 */
export async function checkLockdown(
  configFile: string,
  lockdownFs: LockdownFs,
): Promise<LockdownViolation[]> {
  const violations: LockdownViolation[] = [];
  const visit = async (entry: string): Promise<void> => {
    const stat = await lockdownFs.lstat(entry);
    const problems = problemsOf(stat);
    if (problems.length > 0) violations.push({ path: entry, problems });
    if (stat.isDirectory()) {
      const names = (await lockdownFs.readdir(entry)).sort();
      for (const name of names) await visit(path.join(entry, name));
    }
  };
  await visit(path.dirname(path.resolve(configFile)));
  return violations;
}

/** Throws one DaemonError (code LOCKDOWN) naming every violation by path, or returns quietly. */
export async function assertLockdown(
  configFile: string,
  lockdownFs: LockdownFs = nodeLockdownFs,
): Promise<void> {
  const violations = await checkLockdown(configFile, lockdownFs);
  if (violations.length === 0) return;
  const dir = path.dirname(path.resolve(configFile));
  const lines = violations.map((v) => `  ${v.path}: ${v.problems.join('; ')}`);
  throw new DaemonError(
    'LOCKDOWN',
    `refusing to start: the config directory ${dir} is not locked down (root-owned, directories 0500, files 0400, nothing else):\n${lines.join('\n')}`,
    { paths: violations.map((v) => v.path) },
  );
}

/** A warning line when the age keys file can be read or written by group or others, else undefined. */
export async function keysFileWarning(
  keysFile: string | undefined,
  lockdownFs: Pick<LockdownFs, 'lstat'> = nodeLockdownFs,
): Promise<string | undefined> {
  if (keysFile === undefined) return undefined;
  const stat = await lockdownFs.lstat(keysFile).catch(() => undefined);
  if (!stat) return `keys file ${keysFile} cannot be read`;
  if ((stat.mode & 0o077) !== 0) {
    return `keys file ${keysFile} has mode ${octal(stat.mode)}: group or others can access it; chmod 0400 it`;
  }
  return undefined;
}
