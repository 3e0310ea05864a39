export type RolloutVerifierErrorCode = 'INVALID_OPTIONS';

/** The one error class of @stow/rollout-verifier. */
export class RolloutVerifierError extends Error {
  override name = 'RolloutVerifierError';
  readonly code: RolloutVerifierErrorCode;
  readonly container: string | undefined;

  constructor(
    code: RolloutVerifierErrorCode,
    message: string,
    options: { container?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.container = options.container;
  }
}
