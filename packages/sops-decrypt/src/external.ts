import { execFile } from 'node:child_process';
import { SopsDecryptError } from './errors.js';
import type { ExternalDecryptOptions } from './options.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** The environment the sops process gets: PATH and HOME, the key file, and the caller's extras. */
export function externalEnv(opts: ExternalDecryptOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME'] as const) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...opts.env, SOPS_AGE_KEY_FILE: opts.keysFile };
}

/**
 * Runs `<sopsBinary> --decrypt <file>` without a shell, bounded in time and output. Errors name the
 * file and the exit status; neither stdout nor stderr is ever copied into them.
 */
export function decryptWithSopsBinary(file: string, opts: ExternalDecryptOptions): Promise<Buffer> {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBuffer = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    execFile(
      opts.sopsBinary,
      ['--decrypt', file],
      {
        env: externalEnv(opts),
        timeout,
        maxBuffer,
        encoding: 'buffer',
        killSignal: 'SIGKILL',
        windowsHide: true,
      },
      (err, stdout) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        const e = err as NodeJS.ErrnoException & {
          code?: string | number;
          killed?: boolean;
          signal?: string | null;
        };
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(
            new SopsDecryptError(
              'EXTERNAL_OUTPUT_LIMIT',
              `${file}: sops output exceeded ${maxBuffer} bytes`,
              { file },
            ),
          );
        } else if (e.killed && e.signal === 'SIGKILL') {
          reject(
            new SopsDecryptError('EXTERNAL_TIMEOUT', `${file}: sops did not finish within ${timeout} ms`, {
              file,
            }),
          );
        } else if (typeof e.code === 'number') {
          reject(
            new SopsDecryptError('EXTERNAL_FAILED', `${file}: sops --decrypt exited with status ${e.code}`, {
              file,
              exitCode: e.code,
            }),
          );
        } else {
          const why = e.signal
            ? `was killed by ${e.signal}`
            : `could not be run (${String(e.code ?? 'error')})`;
          reject(
            new SopsDecryptError('EXTERNAL_FAILED', `${file}: ${opts.sopsBinary} ${why}`, {
              file,
              exitCode: null,
            }),
          );
        }
      },
    );
  });
}
