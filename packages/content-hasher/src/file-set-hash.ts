import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ContentHashError } from './errors.js';
import { errnoText, type TreeFile } from './walk.js';

const NUL = Buffer.from([0]);
// Large reads keep the per-call overhead negligible next to SHA-256 itself; one buffer is reused.
const READ_CHUNK_BYTES = 1024 * 1024;
// Reads are synchronous (a thread-pool round trip per small file costs more than the read itself), so
// hand the event loop back after this many bytes: a daemon keeps answering while it hashes.
const YIELD_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * sha256 over `relpath || 0x00 || contents` for each file, in the order given (walk order).
 * Contents are streamed through one reused buffer: a file is never held in memory whole.
 */
export class FileSetHash {
  private readonly hash: Hash = createHash('sha256');
  private bytesSinceYield = 0;

  constructor(private readonly buffer: Buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES)) {}

  async add(file: TreeFile, onFirstRead?: FirstReadListener): Promise<void> {
    this.hash.update(file.relativePath);
    this.hash.update(NUL);
    this.bytesSinceYield += hashContents(file, this.hash, this.buffer, onFirstRead);
    if (this.bytesSinceYield >= YIELD_EVERY_BYTES) {
      this.bytesSinceYield = 0;
      await yieldToEventLoop();
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Sees each file's first read while it is hashed: `bytes` is the start of the file (at most the read
 * buffer, 1 MiB), `whole` says it is the entire file. `bytes` is reused once the call returns.
 */
export type FirstReadListener = (file: TreeFile, bytes: Buffer, whole: boolean) => void;

/** Feeds the file's contents into `hash`; returns the number of bytes read. */
function hashContents(file: TreeFile, hash: Hash, buffer: Buffer, onFirstRead?: FirstReadListener): number {
  let fd: number;
  try {
    // O_NOFOLLOW: a file swapped for a symlink after the walk is refused, not followed.
    fd = openSync(file.absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (cause) {
    throw readError(file, cause);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new ContentHashError(
        'UNSUPPORTED_FILE_TYPE',
        `${file.relativeName}: is no longer a regular file`,
        {
          path: file.relativeName,
        },
      );
    }
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      const bytes = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
      if (total === 0 && onFirstRead) {
        // Whole only when the read ended the file as fstat saw it: a short read is not taken for EOF.
        onFirstRead(file, bytes, bytesRead < buffer.length && bytesRead === stat.size);
      }
      if (bytesRead === 0) return total;
      total += bytesRead;
      hash.update(bytes);
    }
  } catch (cause) {
    throw cause instanceof ContentHashError ? cause : readError(file, cause);
  } finally {
    closeSync(fd);
  }
}

function readError(file: TreeFile, cause: unknown): ContentHashError {
  return new ContentHashError('READ_FAILED', `${file.relativeName}: cannot read file (${errnoText(cause)})`, {
    path: file.relativeName,
    cause,
  });
}
