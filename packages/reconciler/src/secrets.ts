import { type DeploymentHashes, hashDeployment } from '@stow/content-hasher';
import { type DecryptOptions, decryptTree, findSopsFiles, SopsDecryptError } from '@stow/sops-decrypt';

/** How this host decrypts SOPS files: the age keys file, and optionally an external sops binary. */
export interface SecretsConfig {
  readonly keysFile: string | undefined;
  readonly sopsBinary: string | undefined;
}

/**
 * Decrypts the SOPS files of a staged deployment folder in place and hashes it (SPEC sections 3
 * and 4). A folder with SOPS files needs keys; without them it is an error naming the files.
 */
export async function decryptAndHash(dir: string, secrets: SecretsConfig): Promise<DeploymentHashes> {
  const sopsFiles = await findSopsFiles(dir);
  if (sopsFiles.length > 0) {
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
    await decryptTree(dir, options);
  }
  return hashDeployment(dir, { secretFiles: sopsFiles });
}
