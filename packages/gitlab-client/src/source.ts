import type { ExtractResult } from './extract.js';
import type { BranchHead } from './types.js';

/** Limits applied when a source extracts a subfolder. */
export interface ExtractLimits {
  maxBytes?: number;
  maxFiles?: number;
}

/** Where the desired state comes from; the reconciler talks only to this. */
export interface DesiredStateSource {
  /** Human-readable origin for logs (never a token or password). */
  describe(): string;
  /** The default branch and its newest commit. */
  defaultBranchHead(): Promise<BranchHead>;
  /** The full 40-hex sha of a commit given as 7..40 hex, or null when the commit does not exist. */
  resolveCommit(sha: string): Promise<string | null>;
  /** True when the commit is contained in the default branch (false for unknown commits). */
  isOnDefaultBranch(sha: string): Promise<boolean>;
  /**
   * Extracts the subfolder at `sha` into `stagingDir` (created; removed again on failure) so that
   * `stagingDir/stow.yaml` is the subfolder's stow.yaml.
   */
  fetchSubfolder(sha: string, stagingDir: string): Promise<ExtractResult>;
}
