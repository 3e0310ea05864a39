/** Label naming the deployment that owns a container or network. */
export const LABEL_DEPLOYMENT = 'stow.deployment';
/** Label holding `v1:<deployment_hash>` of the revision a container was created from. */
export const LABEL_HASH = 'stow.hash';
/** Label holding the container's key in stow.yaml. */
export const LABEL_CONTAINER = 'stow.container';

/** The `stow.hash` value of a deployment hash: `v1:<hex>` (a value already prefixed is kept). */
export function hashLabelValue(deploymentHash: string): string {
  return deploymentHash.startsWith('v1:') ? deploymentHash : `v1:${deploymentHash}`;
}

/** `v1:0123456789ab…` for messages: hashes are long. */
export function shortHash(label: string | undefined): string {
  if (label === undefined) return '(none)';
  return label.length > 15 ? `${label.slice(0, 15)}…` : label;
}
