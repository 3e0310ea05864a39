import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type AgeIdentities, loadAgeIdentities } from './age-keys.js';
import { decryptWith, isSopsContent, readInput, readInputSync } from './decrypt-file.js';
import { SopsDecryptError } from './errors.js';
import { type DecryptOptions, isExternal } from './options.js';

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '.git') await walk(abs, out);
    } else if (e.isFile()) {
      out.push(abs);
    }
    // Symlinks are never followed nor decrypted: writing through them could leave the tree.
  }
}

const YIELD_EVERY_BYTES = 16 * 1024 * 1024;

const toPosix = (p: string): string => p.split(sep).join('/');

/** Relative (posix, sorted) paths of the SOPS files under `dir`. */
export async function findSopsFiles(dir: string): Promise<string[]> {
  const all: string[] = [];
  try {
    await walk(dir, all);
  } catch (err) {
    throw new SopsDecryptError('IO_ERROR', `${dir}: cannot list directory`, { file: dir, cause: err });
  }
  const found: string[] = [];
  let bytesSinceYield = 0;
  for (const abs of all) {
    // Synchronous reads: `stow hash` of 500 files spent 300 ms of a loaded machine's time in async
    // readFile round trips against 40 ms reading synchronously. The event loop is handed back every
    // 16 MiB so that a daemon keeps answering while it scans.
    const content = readInputSync(abs);
    if (isSopsContent(abs, content)) found.push(toPosix(relative(dir, abs)));
    bytesSinceYield += content.length;
    if (bytesSinceYield >= YIELD_EVERY_BYTES) {
      bytesSinceYield = 0;
      await yieldToEventLoop();
    }
  }
  return found.sort();
}

async function atomicWrite(path: string, data: Uint8Array, mode: number): Promise<void> {
  const tmp = `${path}.stow-decrypt-${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Decrypts every SOPS file under `dir` in place and returns their sorted relative paths. Every
 * file is decrypted in memory first; only when all succeed are they written (each atomically). If a
 * write fails, the files already written get their original content back.
 */
export async function decryptTree(dir: string, options: DecryptOptions): Promise<string[]> {
  return decryptFiles(dir, await findSopsFiles(dir), options);
}

/**
 * decryptTree for SOPS files already found (relative `/`-separated paths, as findSopsFiles lists
 * them), for a caller that detected them while reading the tree anyway; returns `files`.
 */
export async function decryptFiles(
  dir: string,
  files: readonly string[],
  options: DecryptOptions,
): Promise<string[]> {
  const ids: AgeIdentities | undefined = isExternal(options)
    ? undefined
    : await loadAgeIdentities(options.keysFile);
  const plan: Array<{ abs: string; plain: Buffer; original: Buffer; mode: number }> = [];
  for (const rel of files) {
    const abs = join(dir, ...rel.split('/'));
    const original = await readInput(abs);
    const mode = (await lstat(abs)).mode & 0o7777;
    plan.push({ abs, plain: await decryptWith(abs, options, ids), original, mode });
  }
  const written: typeof plan = [];
  try {
    for (const p of plan) {
      await atomicWrite(p.abs, p.plain, p.mode);
      written.push(p);
    }
  } catch (err) {
    for (const w of written) await atomicWrite(w.abs, w.original, w.mode).catch(() => undefined);
    const failed = plan[written.length]?.abs ?? dir;
    throw new SopsDecryptError(
      'IO_ERROR',
      `${failed}: cannot write decrypted file; decrypted files were restored`,
      {
        file: failed,
        cause: err,
      },
    );
  } finally {
    for (const p of plan) p.plain.fill(0);
  }
  return [...files];
}
