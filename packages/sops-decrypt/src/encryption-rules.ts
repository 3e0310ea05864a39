import { SopsDecryptError } from './errors.js';
import type { SopsMetadata } from './metadata.js';

/** Go RE2 patterns as JS RegExp: leading inline flags such as `(?i)` become RegExp flags. */
export function goRegExp(pattern: string, file: string): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  const flags = (m?.[1] ?? '').replace(/[U]/g, '');
  try {
    return new RegExp(m ? pattern.slice(m[0].length) : pattern, [...new Set(flags)].join(''));
  } catch (err) {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: invalid regular expression in sops metadata`, {
      file,
      cause: err,
    });
  }
}

/** sops' shouldBeEncrypted (without the comment regex rules, which are rejected earlier). */
export function encryptionRule(md: SopsMetadata, file: string): (path: readonly string[]) => boolean {
  const unencryptedRegex = md.unencryptedRegex ? goRegExp(md.unencryptedRegex, file) : undefined;
  const encryptedRegex = md.encryptedRegex ? goRegExp(md.encryptedRegex, file) : undefined;
  return (path) => {
    let encrypted = true;
    if (md.unencryptedSuffix && path.some((p) => p.endsWith(md.unencryptedSuffix))) encrypted = false;
    if (md.encryptedSuffix) encrypted = path.some((p) => p.endsWith(md.encryptedSuffix));
    if (unencryptedRegex && path.some((p) => unencryptedRegex.test(p))) encrypted = false;
    if (encryptedRegex) encrypted = path.some((p) => encryptedRegex.test(p));
    return encrypted;
  };
}
