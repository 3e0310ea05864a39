export type ContentHashErrorCode =
  | 'NOT_A_DIRECTORY'
  | 'UNSUPPORTED_FILE_TYPE'
  | 'RESERVED_NAME'
  | 'SECRET_FILE_NOT_FOUND'
  | 'READ_FAILED';

/** The one error class of @stow/content-hasher. `path` is the offending path relative to the tree. */
export class ContentHashError extends Error {
  override name = 'ContentHashError';
  readonly code: ContentHashErrorCode;
  readonly path: string | undefined;

  constructor(code: ContentHashErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
  }
}
