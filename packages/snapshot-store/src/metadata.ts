/** The metadata files stow writes into the root of every snapshot (SPEC section 6). */
export const METADATA_FILES = {
  gitRevision: '.git-revision',
  deploymentHash: '.config-sha256',
  deploymentName: '.deployment-name',
  snapshot: '.stow-snapshot.json',
  renderedManifest: '.stow-rendered-manifest.yaml',
} as const;

/** Contents of `.stow-snapshot.json`. */
export interface SnapshotMetadata {
  readonly deploymentName: string;
  readonly gitRevision: string;
  readonly createdAt: string;
  readonly manifestHash: string;
  readonly configHash: string;
  readonly secretsHash: string;
  readonly deploymentHash: string;
  readonly secretFiles: readonly string[];
}

/** The JSON file uses the snake_case names of the plan output, like `stow hash --json`. */
export function metadataToJson(metadata: SnapshotMetadata): string {
  return `${JSON.stringify(
    {
      deployment_name: metadata.deploymentName,
      git_revision: metadata.gitRevision,
      created_at: metadata.createdAt,
      manifest_hash: metadata.manifestHash,
      config_hash: metadata.configHash,
      secrets_hash: metadata.secretsHash,
      deployment_hash: metadata.deploymentHash,
      secret_files: metadata.secretFiles,
    },
    null,
    2,
  )}\n`;
}

export function metadataFromJson(text: string): SnapshotMetadata {
  const json = JSON.parse(text) as Record<string, unknown>;
  const text_ = (key: string) => {
    const value = json[key];
    if (typeof value !== 'string') throw new Error(`${key} is missing`);
    return value;
  };
  return {
    deploymentName: text_('deployment_name'),
    gitRevision: text_('git_revision'),
    createdAt: text_('created_at'),
    manifestHash: text_('manifest_hash'),
    configHash: text_('config_hash'),
    secretsHash: text_('secrets_hash'),
    deploymentHash: text_('deployment_hash'),
    secretFiles: Array.isArray(json.secret_files) ? json.secret_files.map(String) : [],
  };
}
