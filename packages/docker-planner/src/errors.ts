export type DockerPlannerErrorCode =
  | 'INVALID_SPEC'
  | 'ENV_FILE_INVALID'
  | 'REGISTRY_AUTH_INVALID'
  | 'NAME_CONFLICT'
  | 'PULL_FAILED'
  | 'ENGINE_UNREACHABLE'
  | 'ENGINE_TIMEOUT'
  | 'ENGINE_ERROR'
  | 'NETWORK_FAILED'
  | 'NETWORK_IN_USE'
  | 'STOP_FAILED'
  | 'REMOVE_FAILED'
  | 'CREATE_FAILED'
  | 'CONNECT_FAILED'
  | 'START_FAILED'
  /** A container's dependsOn did not become running (and healthy) in time. */
  | 'DEPENDENCY_NOT_READY'
  /** A one-shot job could not be created, started, waited for or read. */
  | 'JOB_FAILED';

export interface DockerPlannerErrorContext {
  /** Container name (or id when the name is unknown). */
  readonly container?: string;
  readonly image?: string;
  readonly network?: string;
  /** Env file path inside the deployment folder, and its 1-based line. */
  readonly file?: string;
  readonly line?: number;
  /** The engine's HTTP status, when it answered. */
  readonly statusCode?: number;
  readonly cause?: unknown;
}

/** The one error class of @stow/docker-planner. Messages name the container/image/file and never a value. */
export class DockerPlannerError extends Error {
  override name = 'DockerPlannerError';
  readonly code: DockerPlannerErrorCode;
  readonly container: string | undefined;
  readonly image: string | undefined;
  readonly network: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly statusCode: number | undefined;

  constructor(code: DockerPlannerErrorCode, message: string, context: DockerPlannerErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.container = context.container;
    this.image = context.image;
    this.network = context.network;
    this.file = context.file;
    this.line = context.line;
    this.statusCode = context.statusCode;
  }
}
