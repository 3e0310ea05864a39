import type { ContainerCreateBody } from './create-options.js';
import type { ActualContainer, ActualNetwork } from './plan.js';

/** Registry credentials as the Engine API takes them (`X-Registry-Auth`). Never log it. */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
  readonly serveraddress: string;
}

/** The part of `GET /containers/{id}/json` stow reads. */
export interface InspectedContainer {
  readonly Id: string;
  readonly Name: string;
  readonly RestartCount: number;
  readonly State: { readonly Status: string; readonly ExitCode?: number };
  readonly Config: { readonly Labels?: Record<string, string> | null; readonly StopTimeout?: number };
}

export interface NetworkCreateRequest {
  readonly name: string;
  readonly driver: string | undefined;
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The narrow Docker edge of the planner. Implementations throw DockerPlannerError; start/stop of a
 * container already in that state and removal of something already gone succeed.
 */
export interface DockerEngine {
  /** Every container (`all: true`) in one call. */
  listContainers(): Promise<ActualContainer[]>;
  /** undefined when there is no such container. */
  inspectContainer(idOrName: string): Promise<InspectedContainer | undefined>;
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
}
