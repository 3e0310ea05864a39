import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeploymentHashes } from '@stow/content-hasher';
import type { SecretsConfig } from './secrets.js';
import { hashAndFindSopsFiles } from './sops-scan.js';

/**
 * The four hashes of a deployment folder as a daemon would compute them, without touching the folder.
 * A folder without SOPS files is read once, hashed while its files are checked for SOPS documents.
 * A folder with SOPS files is copied to a private temporary directory (links stay links, so the
 * hasher still refuses them), decrypted there and hashed; the copy with its plaintext is then removed.
 */
export async function hashDeploymentFolder(dir: string, secrets: SecretsConfig): Promise<DeploymentHashes> {
  const { hashes, sopsFiles } = await hashAndFindSopsFiles(dir);
  if (sopsFiles.length === 0) return hashes;
  // Decryption (age, the SOPS parsers) is loaded only for a folder that has secrets.
  const { decryptFoundAndHash } = await import('./secrets.js');
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'stow-hash-'));
  try {
    const copy = path.join(scratch, 'deployment');
    await fs.cp(dir, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: false });
    return await decryptFoundAndHash(copy, sopsFiles, secrets);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
