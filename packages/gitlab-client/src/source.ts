import type { ExtractResult } from './extract.js';
import type { BranchHead } from './types.js';

/** Limits applied when a source extracts a subfolder. */
export interface ExtractLimits {
  maxBytes?: number;
  maxFiles?: number;
}

/** A file of the subfolder as git lists it, without downloading it. */
export interface SubfolderFile {
  /** `/`-separated, relative to the subfolder (`stow.yaml`, `config/app.env`). */
  readonly path: string;
  /** The git blob id: equal ids mean equal bytes. */
  readonly blobId: string;
  /** The git mode: `100644`, `100755` (executable), `120000` (symlink), `160000` (submodule). */
  readonly mode: string;
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
  /**
   * Every file of the subfolder at `sha` with its blob id (one cheap listing, no archive);
   * NOT_FOUND `subfolder <x> does not exist at <sha>` when the commit has no such folder.
   */
  listSubfolder(sha: string): Promise<SubfolderFile[]>;
  /** The exact bytes of one file of the subfolder at `sha` (`path` relative to the subfolder). */
  readSubfolderFile(sha: string, path: string): Promise<Buffer>;
}
