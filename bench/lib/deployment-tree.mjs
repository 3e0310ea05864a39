// A generated deployment folder for the hashing benchmarks: a minimal stow.yaml plus files of random
// bytes (nothing compresses) spread over a number of directories, like a large config tree.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes `files` files (stow.yaml included) of `totalBytes` in all under `dir`; returns the bytes written. */
export function writeDeploymentTree(dir, { files, totalBytes, directories }) {
  const size = Math.floor(totalBytes / files);
  writeFileSync(path.join(dir, 'stow.yaml'), 'deployment: { name: bench }\ncontainers: {}\n');
  for (let i = 0; i < files - 1; i++) {
    const sub = path.join(dir, `d${i % directories}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${i}.conf`), randomBytes(size));
  }
  return files * size;
}
