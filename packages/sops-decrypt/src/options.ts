/** Native backend: age identities from a SOPS_AGE_KEY_FILE-format key file. */
export interface NativeDecryptOptions {
  keysFile: string;
}

/** External backend: run `<sopsBinary> --decrypt <file>` with SOPS_AGE_KEY_FILE=<keysFile>. */
export interface ExternalDecryptOptions {
  sopsBinary: string;
  keysFile: string;
  /** Kill the process after this many milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Fail when stdout exceeds this many bytes (default 16 MiB). */
  maxOutputBytes?: number;
  /** Extra environment for the process (PATH and HOME are passed through by default). */
  env?: Record<string, string>;
}

export type DecryptOptions = NativeDecryptOptions | ExternalDecryptOptions;

export const isExternal = (o: DecryptOptions): o is ExternalDecryptOptions =>
  typeof (o as ExternalDecryptOptions).sopsBinary === 'string';
