import type { StowManifest } from '@stow/manifest';

/** What Docker should run: a manifest from a snapshot, or nothing at all (after a failed first deploy). */
export interface TargetDeployment {
  readonly deploymentName: string;
  readonly deploymentHash: string;
  /** undefined: remove every container and network of this deployment. */
  readonly manifest: StowManifest | undefined;
  /** Bind-mount sources and env files resolve here: the snapshot directory itself, never the symlink. */
  readonly snapshotDir: string | undefined;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };
