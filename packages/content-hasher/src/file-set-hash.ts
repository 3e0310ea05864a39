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

  async add(file: TreeFile): Promise<void> {
    this.hash.update(file.relativePath);
    this.hash.update(NUL);
    this.bytesSinceYield += hashContents(file, this.hash, this.buffer);
    if (this.bytesSinceYield >= YIELD_EVERY_BYTES) {
      this.bytesSinceYield = 0;
      await yieldToEventLoop();
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Feeds the file's contents into `hash`; returns the number of bytes read. */
function hashContents(file: TreeFile, hash: Hash, buffer: Buffer): number {
  let fd: number;
  try {
    // O_NOFOLLOW: a file swapped for a symlink after the walk is refused, not followed.
    fd = openSync(file.absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (cause) {
    throw readError(file, cause);
  }
  try {
    if (!fstatSync(fd).isFile()) {
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
      if (bytesRead === 0) return total;
      total += bytesRead;
      hash.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
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
