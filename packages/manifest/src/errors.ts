export type ManifestErrorCode = 'UNREADABLE' | 'TOO_LARGE' | 'YAML_SYNTAX' | 'INVALID' | 'UNKNOWN_KIND';

/** One problem in a config file, located as precisely as the source allows. */
export interface ManifestIssue {
  readonly file: string;
  /** 1-based; absent when the problem has no place in the source (e.g. an empty file). */
  readonly line?: number;
  readonly column?: number;
  /** Key path such as `containers.webapp.image`; empty for the whole document. */
  readonly keyPath: string;
  readonly message: string;
}

/** `file:line:col: key.path: reason` — one line an operator can act on. */
export function formatIssue(issue: ManifestIssue): string {
  const at = issue.column === undefined ? `${issue.line}` : `${issue.line}:${issue.column}`;
  const where = issue.line === undefined ? issue.file : `${issue.file}:${at}`;
  return issue.keyPath ? `${where}: ${issue.keyPath}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** The one error class of @stow/manifest: every issue found in one file. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly code: ManifestErrorCode;
  readonly file: string;
  readonly issues: readonly ManifestIssue[];

  constructor(
    code: ManifestErrorCode,
    file: string,
    issues: readonly ManifestIssue[],
    options?: { cause?: unknown },
  ) {
    super(issues.map(formatIssue).join('\n'), options);
    this.code = code;
    this.file = file;
    this.issues = issues;
  }
}
