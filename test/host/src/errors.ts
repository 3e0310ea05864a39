export type TestHostErrorCode = 'SETUP_FAILED' | 'BAD_IMAGES_JSON' | 'HOST_UNREACHABLE' | 'PULL_FAILED';

/** Why the Docker test host could not be found, brought up or used. */
export class TestHostError extends Error {
  override name = 'TestHostError';
  readonly code: TestHostErrorCode;
  /** The file, endpoint or image reference concerned. */
  readonly subject: string;

  constructor(code: TestHostErrorCode, message: string, subject: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.subject = subject;
  }
}
