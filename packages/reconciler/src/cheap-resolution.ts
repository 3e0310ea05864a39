import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  combineDeploymentHash,
  type DeploymentHashes,
  hashDeployment,
  MANIFEST_FILE,
} from '@stow/content-hasher';
import { readStowManifest } from '@stow/manifest';
import { findSopsFiles } from '@stow/sops-decrypt';
import type { PreparedRevision } from './pipeline.js';
import type { DeploymentSource } from './ports.js';
import type { ReconcileContext } from './reconcile-context.js';
import { resolveDeployment } from './resolve-deployment.js';
import { step } from './step-failure.js';

/** A file of the deployment subfolder as git lists it (path relative to the subfolder). */
export interface ListedFile {
  readonly path: string;
  readonly blobId: string;
  readonly mode: string;
}

/** A source that can list the subfolder's blob ids and read one file without an archive. */
export interface ListingSource extends DeploymentSource {
  listSubfolder(sha: string): Promise<readonly ListedFile[]>;
  readSubfolderFile(sha: string, path: string): Promise<Buffer>;
}

export type ResolvedDeployment = Omit<PreparedRevision, 'stagingDir'>;

export interface DeploymentResolver {
  /** The deployment a commit describes; downloads an archive only when it must. */
  resolve(gitRevision: string): Promise<ResolvedDeployment>;
}

/** What a fully resolved commit leaves behind for its neighbours: everything but stow.yaml. */
interface Base {
  readonly configHash: string;
  readonly secretsHash: string;
  readonly secretFiles: readonly string[];
}

function canList(source: DeploymentSource): source is ListingSource {
  const candidate = source as Partial<ListingSource>;
  return typeof candidate.listSubfolder === 'function' && typeof candidate.readSubfolderFile === 'function';
}

/** Regular files only: a link or a submodule makes the full path give its proper error. */
const REGULAR = new Set(['100644', '100755']);

/** `git hash-object`: sha1 of "blob <size>\0" and the bytes. */
function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Every file but stow.yaml, with its mode and blob id, as one string: two commits with the same
 * signature have byte-identical config and secret files (secret files are recognised by content),
 * so their config and secrets hashes are the same.
 */
function signatureOf(files: readonly ListedFile[]): string | undefined {
  const unsafe = (file: ListedFile) =>
    !REGULAR.has(file.mode) ||
    file.path.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (files.some(unsafe)) return undefined;
  if (!files.some((file) => file.path === MANIFEST_FILE)) return undefined;
  return files
    .filter((file) => file.path !== MANIFEST_FILE)
    .map((file) => `${file.path}\0${file.mode}\0${file.blobId}`)
    .sort()
    .join('\n');
}

/**
 * Resolves commits cheaply when it can (SPEC section 3: deployment hash = sha256 of the manifest,
 * config and secrets hashes). Most commits a daemon is asked about (every suggest-image merge
 * request) differ from one it already resolved only in stow.yaml: when the subfolder's blob ids,
 * listed without an archive, equal a resolved commit's in every file but stow.yaml, only stow.yaml is
 * fetched (its bytes checked against its blob id), validated against the folder's file list, and
 * hashed; the config and secrets hashes are reused. Anything else (no neighbour, links, an encrypted
 * stow.yaml, a source that cannot list) takes the full path: archive, decrypt, hash.
 */
export function createDeploymentResolver(
  context: Pick<ReconcileContext, 'source' | 'secrets' | 'store' | 'log'>,
  options: { readonly remember?: number } = {},
): DeploymentResolver {
  const remember = options.remember ?? 50;
  const bases = new Map<string, Base>();
  const keep = (signature: string, base: Base) => {
    bases.delete(signature);
    bases.set(signature, base);
    while (bases.size > remember) {
      const oldest = bases.keys().next().value;
      if (oldest === undefined) break;
      bases.delete(oldest);
    }
  };
  const { source } = context;

  const full = async (gitRevision: string, signature: string | undefined) => {
    const resolved = await resolveDeployment(context, gitRevision);
    if (signature !== undefined) {
      const { configHash, secretsHash, secretFiles } = resolved.hashes;
      keep(signature, { configHash, secretsHash, secretFiles });
    }
    return resolved;
  };

  return {
    async resolve(gitRevision) {
      if (!canList(source)) return full(gitRevision, undefined);
      const files = await step('fetch', () => source.listSubfolder(gitRevision));
      const signature = signatureOf(files);
      const base = signature === undefined ? undefined : bases.get(signature);
      if (signature === undefined || base === undefined) return full(gitRevision, signature);
      const manifestFile = files.find((file) => file.path === MANIFEST_FILE);
      const content = await step('fetch', () => source.readSubfolderFile(gitRevision, MANIFEST_FILE));
      if (manifestFile === undefined || gitBlobId(content) !== manifestFile.blobId)
        return full(gitRevision, signature);
      const cheap = await fromManifestOnly(gitRevision, files, content, base);
      if (cheap === undefined) return full(gitRevision, signature);
      keep(signature, base);
      context.log.log('info', 'desired state hashed from stow.yaml alone', {
        git_revision: gitRevision,
        deployment: cheap.manifest.deployment.name,
        deployment_hash: cheap.hashes.deploymentHash,
      });
      return cheap;
    },
  };
}

/**
 * stow.yaml in a private scratch folder beside empty stand-ins for the other files (so that its
 * references are checked against the commit's real file list), validated and hashed; undefined when
 * stow.yaml is itself SOPS-encrypted (it would need decrypting first).
 */
async function fromManifestOnly(
  gitRevision: string,
  files: readonly ListedFile[],
  content: Buffer,
  base: Base,
): Promise<ResolvedDeployment | undefined> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'stow-manifest-'));
  try {
    const manifestDir = path.join(scratch, 'manifest');
    const folder = path.join(scratch, 'folder');
    await fs.mkdir(manifestDir);
    await fs.writeFile(path.join(manifestDir, MANIFEST_FILE), content, { mode: 0o600 });
    if ((await findSopsFiles(manifestDir)).length > 0) return undefined;
    for (const file of files) {
      const target = path.join(folder, ...file.path.split('/'));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, file.path === MANIFEST_FILE ? content : '', { mode: 0o600 });
    }
    const manifest = await step('manifest', () => readStowManifest(path.join(folder, MANIFEST_FILE)));
    const { manifestHash } = await step('decrypt', () => hashDeployment(manifestDir));
    const hashes: DeploymentHashes = {
      manifestHash,
      configHash: base.configHash,
      secretsHash: base.secretsHash,
      deploymentHash: combineDeploymentHash(manifestHash, base.configHash, base.secretsHash),
      secretFiles: base.secretFiles,
    };
    return { gitRevision, hashes, manifest };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
