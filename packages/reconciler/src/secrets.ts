import type { DeploymentHashes } from '@stow/content-hasher';
import { hashDeployment } from '@stow/content-hasher';
import { type DecryptOptions, decryptFiles, SopsDecryptError } from '@stow/sops-decrypt';
import { hashAndFindSopsFiles } from './sops-scan.js';

/** How this host decrypts SOPS files: the age keys file, and optionally an external sops binary. */
export interface SecretsConfig {
  readonly keysFile: string | undefined;
  readonly sopsBinary: string | undefined;
}

/**
 * Decrypts the SOPS files of a staged deployment folder in place and hashes it (SPEC sections 3
 * and 4). A folder with SOPS files needs keys; without them it is an error naming the files.
 * A folder without SOPS files is read once: the hashes come from the pass that looked for them.
 */
export async function decryptAndHash(dir: string, secrets: SecretsConfig): Promise<DeploymentHashes> {
  const { hashes, sopsFiles } = await hashAndFindSopsFiles(dir);
  if (sopsFiles.length === 0) return hashes;
  return decryptFoundAndHash(dir, sopsFiles, secrets);
}

/** decryptAndHash for a folder whose SOPS files (at least one) are already known. */
export async function decryptFoundAndHash(
  dir: string,
  sopsFiles: readonly string[],
  secrets: SecretsConfig,
): Promise<DeploymentHashes> {
  if (!secrets.keysFile) {
    throw new SopsDecryptError(
      'BAD_KEY_FILE',
      `${sopsFiles.join(', ')}: SOPS-encrypted, but no age keys file is configured (daemon.yaml keys:, or --keys)`,
      { file: sopsFiles[0] },
    );
  }
  const options: DecryptOptions = secrets.sopsBinary
    ? { keysFile: secrets.keysFile, sopsBinary: secrets.sopsBinary }
    : { keysFile: secrets.keysFile };
  await decryptFiles(dir, sopsFiles, options);
  return hashDeployment(dir, { secretFiles: sopsFiles });
}
