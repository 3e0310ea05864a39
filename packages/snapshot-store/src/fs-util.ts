import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SnapshotStoreError } from './errors.js';

/** Writes a file by rename so that readers never see it half-written. */
export async function writeFileAtomic(file: string, contents: string, mode = 0o600): Promise<void> {
  const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await fs.writeFile(temporary, contents, { mode });
    await fs.rename(temporary, file);
  } catch (cause) {
    await fs.rm(temporary, { force: true });
    throw ioError(`cannot write ${file}`, file, cause);
  }
}

/** Points `link` at `target` atomically: a temporary symlink renamed over it. */
export async function replaceSymlink(link: string, target: string): Promise<void> {
  const temporary = path.join(
    path.dirname(link),
    `.${path.basename(link)}.tmp-${randomBytes(6).toString('hex')}`,
  );
  try {
    await fs.symlink(target, temporary);
    await fs.rename(temporary, link);
  } catch (cause) {
    await fs.rm(temporary, { force: true });
    throw ioError(`cannot point ${link} at ${target}`, link, cause);
  }
}

/** The target of a symlink, or undefined when there is no such link. */
export async function readLink(link: string): Promise<string | undefined> {
  try {
    return await fs.readlink(link);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((cause as NodeJS.ErrnoException).code === 'EINVAL') {
      throw new SnapshotStoreError('BAD_STATE', `${link} exists but is not a symlink; move it away`, {
        path: link,
        cause,
      });
    }
    throw ioError(`cannot read ${link}`, link, cause);
  }
}

export function ioError(message: string, file: string, cause: unknown): SnapshotStoreError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  return new SnapshotStoreError('IO_FAILED', `${message}${code ? ` (${code})` : ''}`, { path: file, cause });
}
