import { createHash } from 'node:crypto';
import { ContentHashError } from './errors.js';
import { FileSetHash, type FirstReadListener } from './file-set-hash.js';
import { walkTree } from './walk.js';

/** Version tag of the hash format; containers carry `stow.hash=v1:<deployment_hash>`. */
export const HASH_VERSION = 'v1';

/** The manifest file at the root of a deployment folder. */
export const MANIFEST_FILE = 'stow.yaml';

/**
 * Names stow writes into a snapshot's root. A repository holding them is rejected, so metadata can never
 * be confused with deployed content.
 */
export const RESERVED_NAMES: readonly string[] = [
  '.git-revision',
  '.config-sha256',
  '.deployment-name',
  '.stow-snapshot.json',
  '.stow-rendered-manifest.yaml',
];

/** sha256 of the empty string: the hash of an empty file set. */
export const EMPTY_SET_HASH = createHash('sha256').digest('hex');

export interface DeploymentHashes {
  /** Over {stow.yaml}. */
  readonly manifestHash: string;
  /** Over every regular file except stow.yaml and the secret files. */
  readonly configHash: string;
  /** Over the secret files, whose contents are expected to be decrypted already. */
  readonly secretsHash: string;
  /** sha256 of the three hex digests, each followed by a newline. */
  readonly deploymentHash: string;
  /** The secret files, relative paths in walk order. */
  readonly secretFiles: readonly string[];
}

export interface HashDeploymentOptions {
  /** Relative `/`-separated paths of the secret (SOPS) files; each must exist in the tree. */
  readonly secretFiles?: Iterable<string>;
  /**
   * Leave stow's own metadata files at the root out of the hashes instead of rejecting them, so a
   * snapshot directory (which holds them) can be hashed again to check it.
   */
  readonly skipSnapshotMetadata?: boolean;
  /**
   * Called with the first read of every file hashed, so a caller can look at contents (SOPS
   * detection) in the same pass instead of reading the tree a second time.
   */
  readonly onFirstRead?: FirstReadListener;
}

/** The four v1 hashes of the deployment folder `dir` (SPEC section 3). */
export async function hashDeployment(
  dir: string,
  options: HashDeploymentOptions = {},
): Promise<DeploymentHashes> {
  const secretFiles = new Set(options.secretFiles ?? []);
  const files = await walkTree(dir);

  const manifest = new FileSetHash();
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const config = new FileSetHash(buffer);
  const secrets = new FileSetHash(buffer);
  const secretsSeen: string[] = [];

  for (const file of files) {
    const name = file.relativeName;
    if (RESERVED_NAMES.includes(name)) {
      if (options.skipSnapshotMetadata) continue;
      throw new ContentHashError(
        'RESERVED_NAME',
        `${name}: this name is reserved for stow's snapshot metadata and may not be in a deployment folder`,
        { path: name },
      );
    }
    if (name === MANIFEST_FILE) {
      await manifest.add(file, options.onFirstRead);
    } else if (secretFiles.has(name)) {
      secretsSeen.push(name);
      await secrets.add(file, options.onFirstRead);
    } else {
      await config.add(file, options.onFirstRead);
    }
  }

  const missing = [...secretFiles].filter((name) => !secretsSeen.includes(name));
  if (missing.length > 0) {
    throw new ContentHashError(
      'SECRET_FILE_NOT_FOUND',
      `${missing.join(', ')}: declared as secret file but not a regular file of the deployment folder`,
      { path: missing[0] },
    );
  }

  const manifestHash = manifest.digest();
  const configHash = config.digest();
  const secretsHash = secrets.digest();
  return {
    manifestHash,
    configHash,
    secretsHash,
    deploymentHash: combineDeploymentHash(manifestHash, configHash, secretsHash),
    secretFiles: secretsSeen,
  };
}

/** `printf '%s\n%s\n%s\n' M C S | sha256sum` */
export function combineDeploymentHash(manifestHash: string, configHash: string, secretsHash: string): string {
  return createHash('sha256').update(`${manifestHash}\n${configHash}\n${secretsHash}\n`).digest('hex');
}
