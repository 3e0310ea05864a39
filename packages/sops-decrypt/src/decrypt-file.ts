import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type AgeIdentities, loadAgeIdentities } from './age-keys.js';
import { sopsCandidateText } from './detect.js';
import { SopsDecryptError } from './errors.js';
import { decryptWithSopsBinary } from './external.js';
import { formatOf, isSopsDocument } from './formats/index.js';
import { decryptSopsBytes } from './native.js';
import { type DecryptOptions, isExternal } from './options.js';

export async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new SopsDecryptError('IO_ERROR', `${path}: cannot read file`, { file: path, cause: err });
  }
}

/** Decrypts with a prepared backend: already loaded identities, or the external binary. */
export async function decryptWith(
  path: string,
  options: DecryptOptions,
  ids: AgeIdentities | undefined,
): Promise<Buffer> {
  if (isExternal(options)) return decryptWithSopsBinary(path, options);
  const content = await readInput(path);
  return decryptSopsBytes(path, content, ids ?? (await loadAgeIdentities(options.keysFile)));
}

/**
 * Decrypts one SOPS file (format chosen by its name, as sops does) and returns the plaintext
 * bytes, exactly what `sops --decrypt <path>` prints for dotenv, INI and binary files.
 */
export async function decryptFile(path: string, options: DecryptOptions): Promise<Buffer> {
  if (!isExternal(options)) {
    const content = await readInput(path);
    const ids = await loadAgeIdentities(options.keysFile);
    return decryptSopsBytes(path, content, ids);
  }
  return decryptWithSopsBinary(path, options);
}

/**
 * readInput without the thread pool: for scanning a whole tree, where a round trip per small file
 * costs more than the read itself (the content hasher reads the same way).
 */
export function readInputSync(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SopsDecryptError('IO_ERROR', `${path}: cannot read file`, { file: path, cause: err });
  }
}

/** True when the file is a SOPS document for its format (SPEC section 4 detection). */
export async function isSopsFile(path: string): Promise<boolean> {
  return isSopsContent(path, await readInput(path));
}

/** isSopsFile on contents already read. */
export function isSopsContent(path: string, content: Buffer): boolean {
  const text = sopsCandidateText(path, content);
  return text !== undefined && isSopsDocument(formatOf(path), text, path);
}
