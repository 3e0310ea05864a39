/** The narrow edges the reconcile pipeline reaches the world through; the apps wire real ones in. */

/** Where the desired state comes from: GitLab or a local git repository (`@stow/gitlab-client`). */
export interface DeploymentSource {
  /** For messages: `gitlab https://git.example.com ops/deployments` or `git /srv/deployments.git`. */
  describe(): string;
  /** The newest commit of the default branch (GitLab) or of the configured branch (git). */
  defaultBranchHead(): Promise<{ readonly sha: string }>;
  /** Writes the deployment subfolder at `sha` into the empty directory `stagingDir`. */
  fetchSubfolder(sha: string, stagingDir: string): Promise<unknown>;
  /** The full 40-hex sha of a commit given by (possibly abbreviated) sha, or null when unknown. */
  resolveCommit(sha: string): Promise<string | null>;
  /** Whether the commit is contained in the default branch (merged), so it may be deployed. */
  isOnDefaultBranch(sha: string): Promise<boolean>;
}

// One clock for the whole reconcile: the verifier's (now + sleep), injectable in tests.
export type { Clock } from '@stow/rollout-verifier';
export { systemClock } from '@stow/rollout-verifier';
