import type { ContainerCreateBody } from './create-options.js';
import type { ActualContainer, ActualNetwork } from './plan.js';

/** Registry credentials as the Engine API takes them (`X-Registry-Auth`). Never log it. */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
  readonly serveraddress: string;
}

/** One health probe as the engine keeps it (the newest 5). Its output may print env values: never report it as is. */
export interface HealthProbe {
  readonly exitCode: number;
  readonly output: string;
  /** RFC 3339, as the engine wrote it. */
  readonly start: string | undefined;
  readonly end: string | undefined;
}

/**
 * What stow reads of `GET /containers/{id}/json`: the planner's stop grace, the verifier's verdict and,
 * later, failure forensics all come from here.
 */
export interface ContainerInspection {
  readonly id: string;
  /** Without the leading `/`. */
  readonly name: string;
  /** State.Status: created|running|paused|restarting|removing|exited|dead (not State.Running). */
  readonly status: string;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** State.StartedAt; undefined before the first start. */
  readonly startedAt: string | undefined;
  /** The top-level RestartCount (not in State): restarts by the restart policy since the last manual start. */
  readonly restartCount: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Config.Image: the image as the container was created from it (`name:tag@sha256:...` when pinned). */
  readonly image?: string | undefined;
  /** Image: the local image id (`sha256:` of the image config), whatever the reference said. */
  readonly imageId?: string | undefined;
  /** Config.StopTimeout: the container's own stop grace, when it has one. */
  readonly stopTimeoutSeconds: number | undefined;
  /** undefined: the container has no healthcheck. */
  readonly health:
    | {
        /** starting|healthy|unhealthy */
        readonly status: string;
        readonly failingStreak: number;
        /** Oldest first, as the engine keeps them. */
        readonly log: readonly HealthProbe[];
      }
    | undefined;
}

export interface NetworkCreateRequest {
  readonly name: string;
  readonly driver: string | undefined;
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The one Docker port of stow: the planner observes through it, the applier changes the host through it
 * and the verifier inspects through it. Implementations throw DockerPlannerError; start/stop of a
 * container already in that state and removal of something already gone succeed. Add a method here
 * (e.g. wait for exit, read logs) when a caller needs it, and implement it in createDockerEngine and
 * in the fake engine.
 */
export interface DockerEngine {
  /** Every container (`all: true`) in one call. */
  listContainers(): Promise<ActualContainer[]>;
  /** undefined when there is no such container. */
  inspectContainer(idOrName: string): Promise<ContainerInspection | undefined>;
  imageExists(ref: string): Promise<boolean>;
  /** Pulls and fails on in-band stream errors (PULL_FAILED). */
  pullImage(ref: string, auth: RegistryAuth | undefined): Promise<void>;
  listNetworks(): Promise<ActualNetwork[]>;
  /** Returns the network id. */
  createNetwork(request: NetworkCreateRequest): Promise<string>;
  /** Throws NETWORK_IN_USE (403, active endpoints); a missing network is success. */
  removeNetwork(idOrName: string): Promise<void>;
  /** Returns the container id. A name in use: NAME_CONFLICT. */
  createContainer(body: ContainerCreateBody): Promise<string>;
  connectNetwork(network: string, containerId: string, aliases: readonly string[]): Promise<void>;
  startContainer(id: string): Promise<void>;
  /** `timeoutSeconds`: grace before SIGKILL (the engine's `t`). */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Forced removal; a missing container is success. */
  removeContainer(id: string): Promise<void>;
  /**
   * Waits until the container exits and returns its exit code; undefined when it is still running
   * after `timeoutMs` (it is left running: the caller decides).
   */
  waitContainer(id: string, timeoutMs: number): Promise<number | undefined>;
  /**
   * The last `tail` lines the container wrote (stdout and stderr interleaved, as the engine kept
   * them). They may hold secret values: redact before reporting.
   */
  containerLogs(id: string, options: { readonly tail: number }): Promise<string>;
}
