import { decryptValue, isEncryptedString, openValue, parseEncryptedValue, ValueError } from './aes-value.js';
import { encryptionRule } from './encryption-rules.js';
import { opaqueCause, SopsDecryptError } from './errors.js';
import { formatGoTime } from './go-format.js';
import { MacHasher } from './mac.js';
import type { SopsMetadata } from './metadata.js';
import type { PlainValue } from './plain-value.js';

/** The additional data sops binds to a value: the key path joined with ':' plus a trailing ':'. */
export const aadOf = (path: readonly string[]): string => `${path.join(':')}:`;

/**
 * Decrypts the leaves of one document in document order, feeding the MAC exactly as sops'
 * Tree.Decrypt does, then verifies the MAC. Formats walk their own structure and call in here.
 */
/** Observes decrypted leaves and comments (tests and diagnostics only; never logged). */
export interface DecryptTrace {
  leaf(path: readonly string[], value: PlainValue, encrypted: boolean): void;
  comment(aad: string, text: string): void;
}

export class TreeDecryptor {
  private readonly hasher: MacHasher;
  private readonly isEncrypted: (path: readonly string[]) => boolean;

  constructor(
    private readonly file: string,
    private readonly md: SopsMetadata,
    private readonly key: Buffer,
    private readonly trace?: DecryptTrace,
  ) {
    this.hasher = new MacHasher(md.macOnlyEncrypted);
    this.isEncrypted = encryptionRule(md, file);
  }

  /**
   * One leaf (null values are not leaves). Returns the plain value. `keepBytes` (the binary store):
   * a decrypted str that is not UTF-8 stays bytes, in the MAC and in the output, as in sops.
   */
  leaf(path: readonly string[], input: PlainValue, keepBytes = false): PlainValue {
    const encrypted = this.isEncrypted(path);
    let out = input;
    if (encrypted) {
      const keyPath = path.join(':');
      if (input.type !== 'str') {
        throw new SopsDecryptError(
          'BAD_FORMAT',
          `${this.file}: value at ${keyPath} should be encrypted but is not`,
          {
            file: this.file,
            keyPath,
          },
        );
      }
      try {
        out = decryptValue(input.value, this.key, aadOf(path), keepBytes);
      } catch (err) {
        throw this.valueError(err, keyPath);
      }
    }
    if (!this.md.macOnlyEncrypted || encrypted) this.hasher.add(out);
    this.trace?.leaf(path, out, encrypted && !(input.type === 'str' && input.value === ''));
    return out;
  }

  /**
   * A comment line. Encrypted comments are opened with the first candidate AAD that authenticates
   * (comments are not covered by the MAC; like sops, an undecryptable comment is kept as it is).
   */
  comment(text: string, aadCandidates: Iterable<string>): string {
    if (!isEncryptedString(text)) return text;
    let ev: ReturnType<typeof parseEncryptedValue>;
    try {
      ev = parseEncryptedValue(text);
    } catch {
      return text;
    }
    for (const aad of aadCandidates) {
      try {
        const plain = openValue(ev, this.key, aad).toString('utf8');
        this.trace?.comment(aad, plain);
        return plain;
      } catch {
        // try the next candidate
      }
    }
    return text;
  }

  /** Decrypts the stored MAC (AAD = lastmodified in RFC 3339) and compares it with the computed one. */
  verifyMac(): void {
    const file = this.file;
    const aad = formatGoTime(this.md.lastModified, false);
    if (aad === undefined) {
      throw new SopsDecryptError('BAD_FORMAT', `${file}: sops.lastmodified is not an RFC 3339 timestamp`, {
        file,
      });
    }
    let stored: PlainValue;
    try {
      stored = decryptValue(this.md.mac, this.key, aad);
    } catch (err) {
      if (!(err instanceof ValueError)) throw internalError(file, 'the stored MAC', err);
      throw new SopsDecryptError(
        'MAC_MISMATCH',
        `${file}: the stored MAC cannot be authenticated (sops.mac or sops.lastmodified was altered)`,
        { file },
      );
    }
    const computed = this.hasher.hex();
    if (stored.type !== 'str' || stored.value !== computed) {
      throw new SopsDecryptError(
        'MAC_MISMATCH',
        `${file}: MAC mismatch: the file was modified after encryption`,
        {
          file,
        },
      );
    }
  }

  private valueError(err: unknown, keyPath: string): SopsDecryptError {
    const file = this.file;
    if (!(err instanceof ValueError)) return internalError(file, `value at ${keyPath}`, err);
    const { reason } = err;
    if (reason === 'format') {
      return new SopsDecryptError(
        'BAD_FORMAT',
        `${file}: value at ${keyPath} is not a valid sops ENC[] value`,
        {
          file,
          keyPath,
        },
      );
    }
    if (reason === 'type') {
      return new SopsDecryptError(
        'BAD_FORMAT',
        `${file}: value at ${keyPath} does not match its declared type`,
        {
          file,
          keyPath,
        },
      );
    }
    return new SopsDecryptError(
      'DECRYPT_FAILED',
      `${file}: cannot decrypt value at ${keyPath} (authentication failed: tampered or moved value, or wrong data key)`,
      { file, keyPath },
    );
  }
}

/**
 * A failure that is not the file's (out of memory, a bug): never reported as tampering, and its
 * message is withheld since it may quote what it worked on.
 */
function internalError(file: string, what: string, err: unknown): SopsDecryptError {
  const kind = err instanceof Error ? err.name : typeof err;
  return new SopsDecryptError(
    'INTERNAL',
    `${file}: cannot decrypt ${what}: unexpected ${kind} (not an authentication failure)`,
    {
      file,
      cause: opaqueCause(err),
    },
  );
}
