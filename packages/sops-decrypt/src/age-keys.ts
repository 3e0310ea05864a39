import { readFile } from 'node:fs/promises';
import type { Decrypter } from 'age-encryption';
import { SopsDecryptError } from './errors.js';

/** Age identities loaded from a SOPS_AGE_KEY_FILE, ready to unwrap data keys. */
export interface AgeIdentities {
  /** The key file they came from (named in errors). */
  readonly keysFile: string;
  /** Public recipients of the identities (age1... / age1pq1...), used to order attempts. */
  readonly recipients: readonly string[];
  readonly decrypter: Decrypter;
}

const unsupported = (file: string, line: number, what: string): SopsDecryptError =>
  new SopsDecryptError(
    'UNSUPPORTED_IDENTITY',
    `${file}:${line}: unsupported identity (${what}); only AGE-SECRET-KEY-1 and AGE-SECRET-KEY-PQ-1 keys are supported`,
    { file, line },
  );

/** Parses the key file text: returns the identity strings with their line numbers. Pure. */
export function parseAgeKeyFile(text: string, file: string): Array<{ identity: string; line: number }> {
  const out: Array<{ identity: string; line: number }> = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    if (l.startsWith('AGE-SECRET-KEY-PQ-1') || l.startsWith('AGE-SECRET-KEY-1')) {
      out.push({ identity: l, line });
    } else if (l.startsWith('AGE-PLUGIN-')) {
      throw unsupported(file, line, 'age plugin identity');
    } else if (l.startsWith('-----BEGIN') || /^(ssh|ecdsa-sha2)-/.test(l)) {
      throw unsupported(file, line, 'SSH key');
    } else {
      throw new SopsDecryptError('BAD_KEY_FILE', `${file}:${line}: not an age identity or comment`, {
        file,
        line,
      });
    }
  });
  if (out.length === 0) {
    throw new SopsDecryptError('BAD_KEY_FILE', `${file}: contains no age identities`, { file });
  }
  return out;
}

/** Builds the identities from key file text (validated one by one, so errors name the line). */
export async function ageIdentitiesFromText(text: string, keysFile: string): Promise<AgeIdentities> {
  // Loaded here, not at the top: age's curves precompute tables when loaded (tens of ms), which
  // `stow hash` of a folder without SOPS files (it only scans for them) should not pay.
  const { Decrypter, identityToRecipient } = await import('age-encryption');
  const decrypter = new Decrypter();
  const recipients: string[] = [];
  for (const { identity, line } of parseAgeKeyFile(text, keysFile)) {
    try {
      recipients.push(await identityToRecipient(identity));
      decrypter.addIdentity(identity);
    } catch {
      throw new SopsDecryptError('BAD_KEY_FILE', `${keysFile}:${line}: malformed age identity`, {
        file: keysFile,
        line,
      });
    }
  }
  return { keysFile, recipients, decrypter };
}

/** Reads and parses a SOPS_AGE_KEY_FILE. */
export async function loadAgeIdentities(keysFile: string): Promise<AgeIdentities> {
  let text: string;
  try {
    text = await readFile(keysFile, 'utf8');
  } catch (err) {
    throw new SopsDecryptError('IO_ERROR', `${keysFile}: cannot read age key file`, {
      file: keysFile,
      cause: err,
    });
  }
  return ageIdentitiesFromText(text, keysFile);
}
