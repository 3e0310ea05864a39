import type { ContainerCreateBody } from '../create-options.js';
import type { DockerEngine, InspectedContainer, NetworkCreateRequest, RegistryAuth } from '../engine.js';
import { DockerPlannerError } from '../errors.js';
import type { ActualContainer, ActualNetwork } from '../plan.js';

export interface FakeContainer {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
  stopTimeout?: number;
  body?: ContainerCreateBody;
  networks: string[];
}

/** In-memory DockerEngine: keeps containers, networks, images and a log of every call. */
export class FakeEngine implements DockerEngine {
  readonly calls: string[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, ActualNetwork>();
  readonly images = new Set<string>();
  readonly pullAuth: Array<RegistryAuth | undefined> = [];
  /** Image references whose pull fails with this message. */
  readonly failPull = new Map<string, string>();
  /** Pulls that "succeed" without the image appearing. */
  readonly silentPull = new Set<string>();
  readonly failStart = new Set<string>();
  readonly networksInUse = new Set<string>();
  private next = 1;

  addContainer(c: Omit<FakeContainer, 'networks'> & { networks?: string[] }): void {
    this.containers.set(c.id, { networks: [], ...c });
  }

  addNetwork(n: ActualNetwork): void {
    this.networks.set(n.id, n);
  }

  async listContainers(): Promise<ActualContainer[]> {
    this.calls.push('listContainers');
    return [...this.containers.values()].map(({ id, name, state, labels }) => ({ id, name, state, labels }));
  }

  async inspectContainer(id: string): Promise<InspectedContainer | undefined> {
    this.calls.push(`inspect ${id}`);
    const c = this.containers.get(id);
    if (!c) return undefined;
    return {
      Id: c.id,
      Name: `/${c.name}`,
      RestartCount: 0,
      State: { Status: c.state },
      Config: { Labels: c.labels, ...(c.stopTimeout === undefined ? {} : { StopTimeout: c.stopTimeout }) },
    };
  }

  async imageExists(ref: string): Promise<boolean> {
    this.calls.push(`imageExists ${ref}`);
    // Like the engine: a reference with a digest is found by its digest, whatever the tag.
    const digest = ref.split('@')[1];
    return (
      this.images.has(ref) || (digest !== undefined && [...this.images].some((i) => i.endsWith(`@${digest}`)))
    );
  }

  async pullImage(ref: string, auth: RegistryAuth | undefined): Promise<void> {
    this.calls.push(`pull ${ref}`);
    this.pullAuth.push(auth);
    const failure = this.failPull.get(ref);
    if (failure) throw new DockerPlannerError('PULL_FAILED', `pulling ${ref}: ${failure}`, { image: ref });
    if (this.silentPull.has(ref)) return;
    this.images.add(ref);
  }

  async listNetworks(): Promise<ActualNetwork[]> {
    this.calls.push('listNetworks');
    return [...this.networks.values()];
  }

  async createNetwork(request: NetworkCreateRequest): Promise<string> {
    this.calls.push(`createNetwork ${request.name}`);
    const id = `net-${this.next++}`;
    this.networks.set(id, { id, name: request.name, labels: { ...request.labels } });
    return id;
  }

  async removeNetwork(id: string): Promise<void> {
    this.calls.push(`removeNetwork ${id}`);
    if (this.networksInUse.has(id)) {
      throw new DockerPlannerError('NETWORK_IN_USE', `removing network ${id}: has active endpoints`, {
        network: id,
      });
    }
    this.networks.delete(id);
  }

  async createContainer(body: ContainerCreateBody): Promise<string> {
    this.calls.push(`create ${body.name}`);
    if ([...this.containers.values()].some((c) => c.name === body.name)) {
      throw new DockerPlannerError('NAME_CONFLICT', `creating container ${body.name}: Conflict`, {
        container: body.name,
      });
    }
    const id = `c-${this.next++}`;
    this.containers.set(id, {
      id,
      name: body.name,
      state: 'created',
      labels: { ...body.Labels },
      body,
      networks: body.HostConfig.NetworkMode ? [body.HostConfig.NetworkMode] : [],
    });
    return id;
  }

  async connectNetwork(network: string, containerId: string, aliases: readonly string[]): Promise<void> {
    this.calls.push(`connect ${network} ${containerId} ${aliases.join(',')}`);
    this.containers.get(containerId)?.networks.push(network);
  }

  async startContainer(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    const c = this.containers.get(id);
    if (c && this.failStart.has(c.name)) {
      throw new DockerPlannerError('START_FAILED', `starting container ${id}: port is already allocated`, {
        container: id,
      });
    }
    if (c) c.state = 'running';
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.calls.push(`stop ${id} t=${timeoutSeconds}`);
    const c = this.containers.get(id);
    if (c) c.state = 'exited';
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    this.containers.delete(id);
  }
}
