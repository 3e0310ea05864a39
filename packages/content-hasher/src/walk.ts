import { type Dirent, promises as fs } from 'node:fs';
import path from 'node:path';
import { ContentHashError } from './errors.js';

/** A regular file of a deployment tree, in walk order. */
export interface TreeFile {
  /** Path relative to the tree root, `/`-separated, no `./` prefix, as the raw bytes of the names. */
  readonly relativePath: Buffer;
  /** The same path as a string (UTF-8), for messages and set membership. */
  readonly relativeName: string;
  readonly absolutePath: Buffer;
}

const SLASH = Buffer.from('/');

/**
 * Every regular file below `root`, depth-first, the entries of each directory in byte order of their
 * names: Go's `filepath.WalkDir` order, so `a/b` comes before `a-c`. Names are read as bytes so that
 * any file name hashes exactly as it is stored. Directories contribute nothing; symlinks, devices,
 * fifos and sockets are errors naming the path.
 */
export async function walkTree(root: string): Promise<TreeFile[]> {
  const rootStat = await fs.stat(root).catch((cause: unknown) => {
    throw new ContentHashError(
      'NOT_A_DIRECTORY',
      `${root}: cannot read deployment folder (${errnoText(cause)})`,
      {
        cause,
      },
    );
  });
  if (!rootStat.isDirectory()) {
    throw new ContentHashError('NOT_A_DIRECTORY', `${root}: not a directory`);
  }
  const files: TreeFile[] = [];
  await walkDirectory(Buffer.from(path.resolve(root)), Buffer.alloc(0), files);
  return files;
}

async function walkDirectory(absoluteDir: Buffer, relativeDir: Buffer, files: TreeFile[]): Promise<void> {
  let entries: Dirent<Buffer>[];
  try {
    entries = await fs.readdir(absoluteDir, { withFileTypes: true, encoding: 'buffer' });
  } catch (cause) {
    const where = relativeDir.length === 0 ? '.' : relativeDir.toString();
    throw new ContentHashError('READ_FAILED', `${where}: cannot list directory (${errnoText(cause)})`, {
      path: where,
      cause,
    });
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (const entry of entries) {
    const relativePath =
      relativeDir.length === 0 ? entry.name : Buffer.concat([relativeDir, SLASH, entry.name]);
    const absolutePath = Buffer.concat([absoluteDir, SLASH, entry.name]);
    const kind = await entryKind(entry, absolutePath);
    if (kind === 'directory') {
      await walkDirectory(absolutePath, relativePath, files);
    } else if (kind === 'file') {
      files.push({ relativePath, relativeName: relativePath.toString(), absolutePath });
    } else {
      const name = relativePath.toString();
      throw new ContentHashError(
        'UNSUPPORTED_FILE_TYPE',
        `${name}: is a ${kind}; only regular files and directories may appear in a deployment folder`,
        { path: name },
      );
    }
  }
}

type EntryKind = 'file' | 'directory' | 'symlink' | 'block device' | 'character device' | 'fifo' | 'socket';

async function entryKind(entry: Dirent<Buffer>, absolutePath: Buffer): Promise<EntryKind> {
  const known = kindOf(entry);
  if (known) return known;
  // Some filesystems do not report the type in readdir: ask lstat, which never follows a link.
  const stat = await fs.lstat(absolutePath);
  return kindOf(stat) ?? 'socket';
}

function kindOf(entry: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): EntryKind | undefined {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isBlockDevice()) return 'block device';
  if (entry.isCharacterDevice()) return 'character device';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  return undefined;
}

export function errnoText(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string')
    return cause.code;
  return cause instanceof Error ? cause.message : String(cause);
}
