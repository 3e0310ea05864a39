import type { AgeIdentities } from './age-keys.js';
import { SopsDecryptError } from './errors.js';
import type { AgeEntry, SopsMetadata } from './metadata.js';
import { combineShares } from './shamir.js';

type GroupResult = { part: Uint8Array } | { failure: 'no-match' | 'malformed' | 'corrupt' };

async function decryptGroup(entries: readonly AgeEntry[], ids: AgeIdentities): Promise<GroupResult> {
  // Entries whose recipient is one of ours first; the others are still tried (the field is advisory).
  const ordered = [...entries].sort(
    (a, b) => Number(!ids.recipients.includes(a.recipient)) - Number(!ids.recipients.includes(b.recipient)),
  );
  let failure: 'no-match' | 'malformed' | 'corrupt' = 'no-match';
  const { armor } = await import('age-encryption'); // loaded lazily: see ageIdentitiesFromText
  for (const entry of ordered) {
    let sealed: Uint8Array;
    try {
      sealed = armor.decode(entry.enc);
    } catch {
      if (failure === 'no-match') failure = 'malformed';
      continue;
    }
    try {
      return { part: await ids.decrypter.decrypt(sealed) };
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      if (!message.includes('no identity matched')) failure = 'corrupt';
    }
  }
  return { failure };
}

/** Recovers the 32-byte data key: one group directly, several groups through Shamir. */
export async function recoverDataKey(md: SopsMetadata, ids: AgeIdentities, file: string): Promise<Buffer> {
  const groups = md.keyGroups;
  const recipients = [...new Set(groups.flat().map((e) => e.recipient))];
  if (recipients.length === 0) {
    throw new SopsDecryptError(
      'NO_MATCHING_KEY',
      `${file}: the data key is not encrypted to any age recipient`,
      {
        file,
      },
    );
  }
  const threshold = groups.length > 1 ? md.shamirThreshold || groups.length : 1;
  const parts: Uint8Array[] = [];
  const failures: string[] = [];
  for (const group of groups) {
    const result = await decryptGroup(group, ids);
    if ('part' in result) parts.push(result.part);
    else failures.push(result.failure);
    if (parts.length >= threshold) break;
  }
  if (parts.length < threshold) {
    if (failures.includes('malformed') || failures.includes('corrupt')) {
      throw new SopsDecryptError(
        'BAD_FORMAT',
        `${file}: an age-encrypted data key in the sops metadata is malformed or corrupt`,
        { file },
      );
    }
    const need =
      groups.length > 1 ? ` (decrypted ${parts.length} of the ${threshold} key groups needed)` : '';
    throw new SopsDecryptError(
      'NO_MATCHING_KEY',
      `${file}: no identity in ${ids.keysFile} matches the file's age recipients ${recipients.join(', ')}${need}`,
      { file },
    );
  }
  let key: Buffer;
  try {
    key = groups.length > 1 ? combineShares(parts) : Buffer.from(parts[0] as Uint8Array);
  } catch (err) {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: cannot combine the Shamir key group parts`, {
      file,
      cause: err,
    });
  }
  if (key.length !== 32) {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: the recovered data key is not 32 bytes`, { file });
  }
  return key;
}
