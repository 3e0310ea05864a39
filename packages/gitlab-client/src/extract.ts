import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline as pipelineCb, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Header, extract as tarExtract } from 'tar-stream';
import { GitlabClientError } from './errors.js';
import { normalizeSubfolder } from './validate.js';

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 20_000;

export interface ExtractOptions {
  /** Directory to create (must not exist or be empty); holds the subfolder's contents on success. */
  stagingDir: string;
  /** The repository subfolder kept (e.g. `deploy-host.example.com`); `stow.yaml` lands at the top. */
  subfolder: string;
  /** Cap on the total size of extracted files (default 512 MiB). */
  maxBytes?: number;
  /** Cap on the number of entries (files and directories, default 20,000). */
  maxFiles?: number;
  /** The stream is gzip-compressed (default true; `git archive --format=tar` is not). */
  gzip?: boolean;
}

export interface ExtractResult {
  files: number;
  directories: number;
  bytes: number;
}

/** Linux's limits: PATH_MAX for a whole path, NAME_MAX for one component (bytes). */
const MAX_PATH_BYTES = 4096;
const MAX_NAME_BYTES = 255;

/** An entry name as the message shows it: an over-long one is cut (the error stays one short line). */
const shown = (entry: string) => (entry.length > 200 ? `${entry.slice(0, 200)}…` : entry);

const unsafe = (entry: string, why: string) =>
  new GitlabClientError('ARCHIVE_UNSAFE', `archive entry "${shown(entry)}" rejected: ${why}`, { entry });

/** Why a path (relative to the staging directory) cannot be written on Linux, if it cannot. */
function nameTooLong(parts: readonly string[]): string | undefined {
  if (Buffer.byteLength(parts.join('/')) > MAX_PATH_BYTES) return `path longer than ${MAX_PATH_BYTES} bytes`;
  if (parts.some((part) => Buffer.byteLength(part) > MAX_NAME_BYTES)) {
    return `a name longer than ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

/** Counts decompressed bytes and fails once past `limit` (gzip bombs, padding floods). */
class ByteCap extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(
        new GitlabClientError(
          'ARCHIVE_TOO_LARGE',
          `archive expands past ${this.limit} bytes (decompressed); refusing to extract`,
        ),
      );
      return;
    }
    done(null, chunk);
  }
}

/**
 * The path an entry goes to, relative to the staging directory: the archive's top directory is
 * stripped, then the subfolder prefix; null for entries outside the subfolder (or the subfolder itself).
 */
function targetOf(name: string, subfolderParts: string[]): string[] | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL in a name is an attack
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || /\u0000/.test(name))
    throw unsafe(name, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(name, 'path traversal (..)');
  const inside = parts.slice(1);
  if (inside.length <= subfolderParts.length) return null;
  for (const [i, p] of subfolderParts.entries()) if (inside[i] !== p) return null;
  return inside.slice(subfolderParts.length);
}

async function prepareStaging(stagingDir: string): Promise<void> {
  try {
    await mkdir(stagingDir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if ((await readdir(stagingDir)).length > 0) {
      throw new GitlabClientError('INVALID_ARGUMENT', `staging directory ${stagingDir} is not empty`);
    }
  }
}

/**
 * Extracts one subfolder of a (gzipped) tar stream into `stagingDir`, streamed: rejects traversal,
 * absolute paths, links, devices and fifos; caps bytes and entries; keeps modes to 0644/0755. On any
 * failure the staging directory is removed and nothing was written outside it.
 */
export async function extractSubfolderArchive(
  input: Readable,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const subfolderParts = normalizeSubfolder(options.subfolder).split('/');
  const root = resolve(options.stagingDir);
  await prepareStaging(root);

  const result: ExtractResult = { files: 0, directories: 0, bytes: 0 };
  const made = new Set<string>([root]);
  // What each path in the staging directory is (entries and the directories they imply): a file
  // and a directory of the same name, in either order, is an archive that cannot be extracted.
  const kinds = new Map<string, 'file' | 'directory'>();
  let entries = 0;
  const ensureDir = async (dir: string) => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    made.add(dir);
  };

  /**
   * Records `rel` and its parent directories, refusing a file/directory clash or a duplicate file.
   * Parents are walked up only until one already known as a directory (its own parents are too).
   */
  const claim = (name: string, rel: readonly string[], kind: 'file' | 'directory') => {
    const clash = (path: string) =>
      unsafe(name, `"${shown(path)}" is both a file and a directory in the archive`);
    const path = rel.join('/');
    const had = kinds.get(path);
    if (had === 'file' && kind === 'file') throw unsafe(name, 'duplicate entry');
    if (had !== undefined && had !== kind) throw clash(path);
    kinds.set(path, kind);
    for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
      const parent = path.slice(0, end);
      const was = kinds.get(parent);
      if (was === 'directory') break;
      if (was === 'file') throw clash(parent);
      kinds.set(parent, 'directory');
    }
  };

  const handleEntry = async (header: Header, stream: Readable) => {
    const name = header.name;
    const type: string = header.type ?? 'file';
    const rel = targetOf(name, subfolderParts);
    if (type === 'symlink') throw unsafe(name, `symbolic link (-> ${header.linkname ?? '?'})`);
    if (type === 'link') throw unsafe(name, `hard link (-> ${header.linkname ?? '?'})`);
    if (type !== 'file' && type !== 'contiguous-file' && type !== 'directory') {
      throw unsafe(name, `${type} entries are not allowed`);
    }
    entries += 1;
    if (entries > maxFiles) {
      throw new GitlabClientError(
        'ARCHIVE_TOO_LARGE',
        `archive has more than ${maxFiles} entries; refusing to extract (at "${name}")`,
        { entry: name },
      );
    }
    if (rel === null) {
      stream.resume();
      return;
    }
    const target = join(root, ...rel);
    const back = relative(root, target);
    if (back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
      throw unsafe(name, 'leaves the staging directory');
    }
    const tooLong = nameTooLong(rel);
    if (tooLong) throw unsafe(name, tooLong);
    claim(name, rel, type === 'directory' ? 'directory' : 'file');
    if (type === 'directory') {
      result.directories += 1;
      await ensureDir(target);
      stream.resume();
      return;
    }
    const size = header.size ?? 0;
    if (result.bytes + size > maxBytes) {
      throw new GitlabClientError(
        'ARCHIVE_TOO_LARGE',
        `archive content exceeds ${maxBytes} bytes at "${name}"; refusing to extract`,
        { entry: name },
      );
    }
    result.bytes += size;
    result.files += 1;
    await ensureDir(join(target, '..'));
    const mode = (header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
    // 'wx': never follow or overwrite anything already there.
    await pipeline(stream, createWriteStream(target, { flags: 'wx', mode, highWaterMark: 1024 * 1024 }));
  };

  const extractor = tarExtract();
  // Decompressed-byte cap with room for headers: 1 KiB per entry + 1 MiB.
  const cap = new ByteCap(maxBytes + maxFiles * 1024 + 1024 * 1024);
  const stages: NodeJS.ReadWriteStream[] =
    options.gzip === false ? [] : [createGunzip({ chunkSize: 256 * 1024 })];
  const feed = pipelineCb as unknown as (streams: unknown[], cb: (err?: Error | null) => void) => void;
  feed([input, ...stages, cap], (error) => {
    if (error) extractor.destroy(error);
  });
  cap.pipe(extractor as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extractor) {
      await handleEntry(entry.header, entry as unknown as Readable);
    }
    if (result.files === 0) {
      throw new GitlabClientError('NOT_FOUND', `archive has no files under "${subfolderParts.join('/')}"`, {
        entry: subfolderParts.join('/'),
      });
    }
    return result;
  } catch (error) {
    extractor.destroy();
    input.destroy();
    cap.destroy();
    await rm(root, { recursive: true, force: true });
    throw toExtractError(error);
  }
}

function toExtractError(error: unknown): unknown {
  if (error instanceof GitlabClientError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (
    code === 'Z_BUF_ERROR' ||
    code === 'Z_DATA_ERROR' ||
    /unexpected end|invalid|corrupt|header/i.test(message)
  ) {
    return new GitlabClientError('ARCHIVE_CORRUPT', `archive is truncated or corrupt (${message})`, {
      cause: error,
    });
  }
  return error;
}
