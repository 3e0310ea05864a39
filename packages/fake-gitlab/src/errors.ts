export type FakeGitlabErrorCode = 'GIT_FAILED' | 'BAD_CONFIG';

/** The one error class of @stow/fake-gitlab (test support): a git command or the configuration failed. */
export class FakeGitlabError extends Error {
  override name = 'FakeGitlabError';
  readonly code: FakeGitlabErrorCode;

  constructor(code: FakeGitlabErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
