import { promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { DaemonConfig } from '@stow/manifest';
import { DaemonError } from './errors.js';
import {
  inside,
  kindOf,
  type LockdownViolation,
  octal,
  openInside,
  openTrustedFile,
  sizeProblem,
  type TrustedFile,
  withDirectoryChain,
} from './trusted-path.js';

export type { LockdownViolation } from './trusted-path.js';

const DIR_MODE = 0o500;
const FILE_MODE = 0o400;

/** The problems of one entry in the config directory: owner root, directories 0500, files 0400, nothing else. */
export function problemsOf(stat: Stats): string[] {
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

/** The config directory and everything in it, through fds: symlinks are reported, never followed. */
async function visitContents(
  dir: FileHandle,
  stat: Stats,
  dirPath: string,
  found: LockdownViolation[],
): Promise<void> {
  const problems = problemsOf(stat);
  if (problems.length > 0) found.push({ path: dirPath, problems });
  const names = (await fs.readdir(inside(dir, '.'))).sort();
  for (const name of names) {
    const entryPath = path.join(dirPath, name);
    const entry = await fs.lstat(inside(dir, name));
    if (!entry.isDirectory()) {
      const entryProblems = problemsOf(entry);
      if (entryProblems.length > 0) found.push({ path: entryPath, problems: entryProblems });
      continue;
    }
    const sub = await openInside(dir, name, true);
    try {
      await visitContents(sub, await sub.stat(), entryPath, found);
    } finally {
      await sub.close().catch(() => undefined);
    }
  }
}

/** daemon.yaml as read through the fd the lockdown checked. */
export interface LockedConfig {
  /** The config file's path with its directory resolved. */
  readonly file: string;
  readonly text: string;
}

/**
 * The config lockdown (SPEC section 10, issue 11): every directory from `/` down to the config
 * directory is root-owned and not writable by group or others (sticky root-owned directories like
 * /tmp excepted); the config directory and everything in it is root-owned, directories 0500, files
 * 0400, nothing else. Checked through one chain of directory fds, and daemon.yaml is read through the
 * fd that was checked: a directory swapped during the check is never read. Throws one DaemonError
 * (code LOCKDOWN) naming every violation by path.
 */
export async function readLockedDownConfig(configFile: string): Promise<LockedConfig> {
  const name = path.basename(configFile);
  const { violations, value, realDir } = await withDirectoryChain(
    path.dirname(path.resolve(configFile)),
    async (dir, stat, realDir, found) => {
      await visitContents(dir, stat, realDir, found);
      if (found.length > 0) return undefined;
      const handle = await openInside(dir, name, false).catch((error: NodeJS.ErrnoException) => {
        throw new DaemonError(
          'LOCKDOWN',
          `refusing to start: ${path.join(realDir, name)} cannot be opened (${error.code ?? error.message})`,
          { paths: [path.join(realDir, name)], cause: error },
        );
      });
      try {
        const fileStat = await handle.stat();
        const problems = [...problemsOf(fileStat), sizeProblem(fileStat)].filter((p) => p !== undefined);
        if (problems.length > 0) found.push({ path: path.join(realDir, name), problems });
        return problems.length > 0 ? undefined : (await handle.readFile()).toString('utf8');
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  );
  if (violations.length > 0 || value === undefined) {
    const lines = violations.map((v) => `  ${v.path}: ${v.problems.join('; ')}`);
    throw new DaemonError(
      'LOCKDOWN',
      `refusing to start: the config directory ${realDir} is not locked down (every directory above it root-owned and not writable by group or others; it and everything in it root-owned, directories 0500, files 0400, nothing else):\n${lines.join('\n')}`,
      { paths: violations.map((v) => v.path) },
    );
  }
  return { file: path.join(realDir, name), text: value };
}

/** The files daemon.yaml names, as the daemon uses them after the lockdown. */
export interface TrustedInputs {
  /** tlsCrt and tlsKey read through their checked fds (undefined when daemon.yaml names none). */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** The age keys file: its resolved path and the bytes read through its checked fd. */
  readonly keys: { readonly path: string; readonly bytes: Buffer } | undefined;
  /**
   * sopsBinary's resolved path. It is executed by path (a child process cannot be handed our fd),
   * so its directory chain was checked: only root can replace what that path names.
   */
  readonly sopsBinary: string | undefined;
  /** Lines to log at start (a keys file readable by group or others). */
  readonly warnings: readonly string[];
}

/** Merges violations of one path (a directory above two trusted files) into one line. */
function byPath(violations: readonly LockdownViolation[]): LockdownViolation[] {
  const merged = new Map<string, Set<string>>();
  for (const v of violations) {
    const problems = merged.get(v.path) ?? new Set<string>();
    for (const problem of v.problems) problems.add(problem);
    merged.set(v.path, problems);
  }
  return [...merged].map(([file, problems]) => ({ path: file, problems: [...problems] }));
}

/**
 * The keys file, tlsCrt, tlsKey and sopsBinary get the same treatment as the config directory's
 * chain: each a regular root-owned file not writable by group or others (a symlink is refused), in
 * directories only root can write. Keys and TLS are read through the checked fds. Throws one
 * DaemonError (code LOCKDOWN) naming every violation by path.
 */
export async function readTrustedInputs(config: DaemonConfig): Promise<TrustedInputs> {
  const open = (file: string | undefined, read: boolean) =>
    file === undefined ? undefined : openTrustedFile(file, { read });
  const [cert, key, keys, sops] = await Promise.all([
    open(config.tls?.certFile, true),
    open(config.tls?.keyFile, true),
    open(config.keysFile, true),
    open(config.sopsBinary, false),
  ]);
  const checked = [
    ['tlsCrt', cert],
    ['tlsKey', key],
    ['keys', keys],
    ['sopsBinary', sops],
  ] as const;
  const violations = byPath(checked.flatMap(([, file]) => file?.violations ?? []));
  if (violations.length > 0) {
    const named = checked.filter(([, file]) => file && file.violations.length > 0).map(([k]) => k);
    const lines = violations.map((v) => `  ${v.path}: ${v.problems.join('; ')}`);
    throw new DaemonError(
      'LOCKDOWN',
      `refusing to start: ${named.join(', ')} in ${config.file} must be regular root-owned files not writable by group or others (no symlinks), in directories only root can write:\n${lines.join('\n')}`,
      { paths: violations.map((v) => v.path) },
    );
  }
  const bytesOf = (file: TrustedFile | undefined) => file?.bytes;
  const certBytes = bytesOf(cert);
  const keyBytes = bytesOf(key);
  const keysBytes = bytesOf(keys);
  return {
    tls: certBytes && keyBytes ? { cert: certBytes, key: keyBytes } : undefined,
    keys: keys && keysBytes ? { path: keys.path, bytes: keysBytes } : undefined,
    sopsBinary: sops?.path,
    warnings: keys ? keysFileWarnings(keys) : [],
  };
}

/** A keys file readable by group or others is allowed (the admin may have reasons) but worth a warning. */
function keysFileWarnings(keys: TrustedFile): string[] {
  if (keys.mode === undefined || (keys.mode & 0o077) === 0) return [];
  return [
    `keys file ${keys.path} has mode ${octal(keys.mode)}: group or others can access it; chmod 0400 it`,
  ];
}
