/** Stable error codes of @stow/sops-decrypt. The CLI maps them to exit codes. */
export type SopsDecryptErrorCode =
  | 'NOT_SOPS'
  | 'BAD_FORMAT'
  | 'UNSUPPORTED_FEATURE'
  | 'BAD_KEY_FILE'
  | 'UNSUPPORTED_IDENTITY'
  | 'NO_MATCHING_KEY'
  | 'DECRYPT_FAILED'
  | 'MAC_MISMATCH'
  | 'EXTERNAL_FAILED'
  | 'EXTERNAL_TIMEOUT'
  | 'EXTERNAL_OUTPUT_LIMIT'
  | 'IO_ERROR'
  /** Not the file's fault nor the key's (out of memory, a bug); never reported as tampering. */
  | 'INTERNAL';

export interface SopsDecryptErrorContext {
  /** The SOPS file (or key file) the error is about. */
  file?: string;
  /** Key path inside the document, joined with ':' as sops does for its AAD. */
  keyPath?: string;
  /** 1-based line number (key files). */
  line?: number;
  /** Exit status of the external sops binary. */
  exitCode?: number | null;
  cause?: unknown;
}

/**
 * The one error class of this package. Messages name the file (and key path) and never contain
 * plaintext, key material or ciphertext.
 */
export class SopsDecryptError extends Error {
  override name = 'SopsDecryptError';
  readonly code: SopsDecryptErrorCode;
  readonly file: string | undefined;
  readonly keyPath: string | undefined;
  readonly line: number | undefined;
  readonly exitCode: number | null | undefined;

  constructor(code: SopsDecryptErrorCode, message: string, context: SopsDecryptErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.file = context.file;
    this.keyPath = context.keyPath;
    this.line = context.line;
    this.exitCode = context.exitCode;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      file: this.file,
      keyPath: this.keyPath,
      line: this.line,
      exitCode: this.exitCode,
    };
  }
}

/** Wraps a low-level failure without carrying its (possibly secret-bearing) message along. */
export function opaqueCause(err: unknown): Error {
  const kind = err instanceof Error ? err.name : typeof err;
  return new Error(`underlying ${kind} (details withheld)`);
}
