export type SnapshotStoreErrorCode =
  | 'LOCK_HELD'
  | 'INTERRUPTED_APPLY'
  | 'NO_PREVIOUS'
  | 'SNAPSHOT_MISSING'
  | 'BAD_STATE'
  | 'IO_FAILED';

/** The one error class of @stow/snapshot-store; `path` names the file or directory involved. */
export class SnapshotStoreError extends Error {
  override name = 'SnapshotStoreError';
  readonly code: SnapshotStoreErrorCode;
  readonly path: string | undefined;

  constructor(
    code: SnapshotStoreErrorCode,
    message: string,
    options: { path?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
  }
}
