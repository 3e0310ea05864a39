import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DeploymentHashes, hashDeployment } from '@stow/content-hasher';
import { findSopsFiles } from '@stow/sops-decrypt';
import { decryptAndHash, type SecretsConfig } from './secrets.js';

/**
 * The four hashes of a deployment folder as a daemon would compute them, without touching the folder.
 * A folder with SOPS files is copied to a private temporary directory (links stay links, so the hasher
 * still refuses them), decrypted there and hashed; the copy with its plaintext is then removed.
 */
export async function hashDeploymentFolder(dir: string, secrets: SecretsConfig): Promise<DeploymentHashes> {
  if ((await findSopsFiles(dir)).length === 0) return hashDeployment(dir);
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'stow-hash-'));
  try {
    const copy = path.join(scratch, 'deployment');
    await fs.cp(dir, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: false });
    return await decryptAndHash(copy, secrets);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
