/** The narrow edges the reconcile pipeline reaches the world through; the apps wire real ones in. */

/** Where the desired state comes from: GitLab or a local git repository (`@stow/gitlab-client`). */
export interface DeploymentSource {
  /** For messages: `gitlab https://git.example.com ops/deployments` or `git /srv/deployments.git`. */
  describe(): string;
  /** The newest commit of the default branch (GitLab) or of the configured branch (git). */
  defaultBranchHead(): Promise<{ readonly sha: string }>;
  /** Writes the deployment subfolder at `sha` into the empty directory `stagingDir`. */
  fetchSubfolder(sha: string, stagingDir: string): Promise<void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
