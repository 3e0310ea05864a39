/**
 * The labels stow puts on what it owns (SPEC section 7), and the version prefix of the hash label.
 * The planner, the applier and the verifier read them from here only.
 */

/** Label naming the deployment that owns a container or network. */
export const LABEL_DEPLOYMENT = 'stow.deployment';
/** Label holding `v1:<deployment_hash>` of the revision a container was created from. */
export const LABEL_HASH = 'stow.hash';
/** Label holding the container's key in stow.yaml. */
export const LABEL_CONTAINER = 'stow.container';
/** Label naming the stow.yaml job a one-shot job container runs: never a container to plan. */
export const LABEL_JOB = 'stow.job';
/** The hashing version (SPEC section 3) in front of the deployment hash in `stow.hash`. */
export const HASH_LABEL_PREFIX = 'v1:';

/** The `stow.hash` value of a deployment hash: `v1:<hex>` (a value already prefixed is kept). */
export function hashLabelValue(deploymentHash: string): string {
  return deploymentHash.startsWith(HASH_LABEL_PREFIX)
    ? deploymentHash
    : `${HASH_LABEL_PREFIX}${deploymentHash}`;
}

/** `v1:0123456789ab…` for messages: hashes are long. */
export function shortHash(label: string | undefined): string {
  if (label === undefined) return '(none)';
  return label.length > 15 ? `${label.slice(0, 15)}…` : label;
}
