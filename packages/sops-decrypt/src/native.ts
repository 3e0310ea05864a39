import type { AgeIdentities } from './age-keys.js';
import { recoverDataKey } from './data-key.js';
import { SopsDecryptError } from './errors.js';
import { formatOf, parseSopsDocument } from './formats/index.js';
import { normalizeMetadata } from './metadata.js';
import { type DecryptTrace, TreeDecryptor } from './tree-decryptor.js';

/**
 * Decrypts one SOPS document held in memory. `file` picks the format (by name, as sops does) and
 * is named in errors. The plaintext is returned only after the MAC has been verified.
 */
export async function decryptSopsBytes(
  file: string,
  content: Uint8Array,
  ids: AgeIdentities,
  trace?: DecryptTrace,
): Promise<Buffer> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: not valid UTF-8`, { file });
  }
  const doc = parseSopsDocument(formatOf(file), text, file);
  const md = normalizeMetadata(doc.metadata, file);
  const key = await recoverDataKey(md, ids, file);
  const td = new TreeDecryptor(file, md, key, trace);
  const out = doc.render(td);
  td.verifyMac();
  key.fill(0);
  return out;
}
