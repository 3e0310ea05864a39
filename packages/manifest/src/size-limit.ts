import { ManifestError } from './errors.js';

/** stow.yaml and daemon.yaml are small; a larger file is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const MIB = 1024 * 1024;

/** Throws when a config file of `bytes` bytes is over the limit: `stow.yaml: 1.4 MiB, the limit is 1 MiB`. */
export function checkConfigSize(file: string, bytes: number): void {
  if (bytes <= MAX_CONFIG_BYTES) return;
  // Rounded up, so a file just over the limit never reads as "1.0 MiB".
  const size = Math.ceil((bytes / MIB) * 10) / 10;
  throw new ManifestError('TOO_LARGE', file, [
    { file, keyPath: '', message: `${size} MiB, the limit is ${MAX_CONFIG_BYTES / MIB} MiB` },
  ]);
}
