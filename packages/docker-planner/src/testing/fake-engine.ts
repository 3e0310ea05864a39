import type { ContainerCreateBody } from '../create-options.js';
import type { ContainerInspection, DockerEngine, NetworkCreateRequest, RegistryAuth } from '../engine.js';
import { DockerPlannerError } from '../errors.js';
import type { ActualContainer, ActualNetwork } from '../plan.js';

/**
 * What a fake container does once started, having written `logs` (default nothing). `runs`: keeps
 * running (healthy when it has a healthcheck); `unhealthy`: runs but its probes fail; `exits`: stops at
 * once (exit code 137 + oomKilled is the memory limit); `restarts`: the restart policy keeps restarting it.
 */
export type FakeBehaviour = { readonly logs?: string } & (
  | { readonly kind: 'runs' }
  | { readonly kind: 'unhealthy'; readonly probeExitCode?: number; readonly probeOutput?: string }
  | { readonly kind: 'exits'; readonly exitCode: number; readonly oomKilled?: boolean }
  | { readonly kind: 'restarts'; readonly restartCount: number; readonly exitCode?: number }
  /**
   * A one-shot job: runs for `runsForMs` (default 0) then exits with `exitCode`. A wait shorter than
   * `runsForMs` times out and leaves it running.
   */
  | {
      readonly kind: 'completes';
      readonly exitCode: number;
      readonly runsForMs?: number;
    }
);

/** Which started containers a behaviour applies to: by image reference, container name, or both. */
export interface FakeMatch {
  readonly image?: string;
  readonly name?: string;
}

export interface FakeContainer {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
  stopTimeout?: number;
  body?: ContainerCreateBody;
  networks: string[];
  exitCode: number;
  oomKilled: boolean;
  restartCount: number;
  startedAt: string | undefined;
  health: ContainerInspection['health'];
  /** What the container wrote (its behaviour's logs). */
  logs: string;
  /** A `completes` container that has not exited yet: its exit code and how long it still runs. */
  pendingExit?: { readonly exitCode: number; readonly runsForMs: number };
}

/**
 * The in-memory DockerEngine of every unit test: keeps containers, networks, images and a log of every
 * call, and plays scripted behaviours (health, crash, OOM, restarts) when a container starts, so the real
 * planner, applier and verifier run over it.
 */
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
  /** Container names whose start fails (e.g. a host port in use). */
  readonly failStart = new Set<string>();
  /** Container names whose stop fails (the engine could not stop it). */
  readonly failStop = new Set<string>();
  readonly networksInUse = new Set<string>();
  /** Set to make every call fail as if the socket were gone. */
  unreachable = false;
  /**
   * Milliseconds every call takes (0: answers at once). With a latency, calls made in parallel overlap,
   * and `peakConcurrentCalls` tells how many were in flight at most.
   */
  latencyMs = 0;
  peakConcurrentCalls = 0;
  private concurrentCalls = 0;
  private readonly behaviours: Array<{ match: FakeMatch; behaviour: FakeBehaviour }> = [];
  private next = 1;
  /** Seconds of the fake engine's own clock: each start is one second after the previous. */
  private starts = 0;

  /** From now on, containers matching `match` do `behaviour` when started (the newest rule wins). */
  script(match: FakeMatch, behaviour: FakeBehaviour): void {
    this.behaviours.unshift({ match, behaviour });
  }

  addContainer(
    c: Pick<FakeContainer, 'id' | 'name' | 'state' | 'labels'> & Partial<Omit<FakeContainer, 'id'>>,
  ): void {
    this.containers.set(c.id, {
      networks: [],
      exitCode: 0,
      oomKilled: false,
      restartCount: 0,
      startedAt: undefined,
      health: undefined,
      logs: '',
      ...c,
    });
  }

  addNetwork(n: ActualNetwork): void {
    this.networks.set(n.id, n);
  }

  /** The container holding `name`, if any. */
  byName(name: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  async listContainers(): Promise<ActualContainer[]> {
    this.record('listContainers');
    await this.latency();
    return [...this.containers.values()].map(({ id, name, state, labels }) => ({ id, name, state, labels }));
  }

  async inspectContainer(idOrName: string): Promise<ContainerInspection | undefined> {
    this.record(`inspect ${idOrName}`);
    await this.latency();
    const c = this.containers.get(idOrName) ?? this.byName(idOrName);
    if (!c) return undefined;
    return {
      id: c.id,
      name: c.name,
      status: c.state,
      exitCode: c.exitCode,
      oomKilled: c.oomKilled,
      startedAt: c.startedAt,
      restartCount: c.restartCount,
      labels: { ...c.labels },
      image: c.body?.Image,
      stopTimeoutSeconds: c.stopTimeout,
      health: c.health,
    };
  }

  async imageExists(ref: string): Promise<boolean> {
    this.record(`imageExists ${ref}`);
    await this.latency();
    // Like the engine: a reference with a digest is found by its digest, whatever the tag.
    const digest = ref.split('@')[1];
    return (
      this.images.has(ref) || (digest !== undefined && [...this.images].some((i) => i.endsWith(`@${digest}`)))
    );
  }

  async pullImage(ref: string, auth: RegistryAuth | undefined): Promise<void> {
    this.record(`pull ${ref}`);
    await this.latency();
    this.pullAuth.push(auth);
    const failure = this.failPull.get(ref);
    if (failure) throw new DockerPlannerError('PULL_FAILED', `pulling ${ref}: ${failure}`, { image: ref });
    if (this.silentPull.has(ref)) return;
    this.images.add(ref);
  }

  async listNetworks(): Promise<ActualNetwork[]> {
    this.record('listNetworks');
    await this.latency();
    return [...this.networks.values()];
  }

  async createNetwork(request: NetworkCreateRequest): Promise<string> {
    this.record(`createNetwork ${request.name}`);
    await this.latency();
    const id = `net-${this.next++}`;
    this.networks.set(id, { id, name: request.name, labels: { ...request.labels } });
    return id;
  }

  async removeNetwork(id: string): Promise<void> {
    this.record(`removeNetwork ${id}`);
    await this.latency();
    if (this.networksInUse.has(id)) {
      throw new DockerPlannerError('NETWORK_IN_USE', `removing network ${id}: has active endpoints`, {
        network: id,
      });
    }
    this.networks.delete(id);
  }

  async createContainer(body: ContainerCreateBody): Promise<string> {
    this.record(`create ${body.name}`);
    await this.latency();
    if (this.byName(body.name)) {
      throw new DockerPlannerError('NAME_CONFLICT', `creating container ${body.name}: Conflict`, {
        container: body.name,
      });
    }
    const id = `c-${this.next++}`;
    this.addContainer({
      id,
      name: body.name,
      state: 'created',
      labels: { ...body.Labels },
      body,
      networks: body.HostConfig.NetworkMode ? [body.HostConfig.NetworkMode] : [],
      ...(body.StopTimeout === undefined ? {} : { stopTimeout: body.StopTimeout }),
    });
    return id;
  }

  async connectNetwork(network: string, containerId: string, aliases: readonly string[]): Promise<void> {
    this.record(`connect ${network} ${containerId} ${aliases.join(',')}`);
    await this.latency();
    this.containers.get(containerId)?.networks.push(network);
  }

  async startContainer(id: string): Promise<void> {
    this.record(`start ${id}`);
    await this.latency();
    const c = this.containers.get(id);
    if (!c) return;
    if (this.failStart.has(c.name)) {
      throw new DockerPlannerError('START_FAILED', `starting container ${id}: port is already allocated`, {
        container: id,
      });
    }
    c.startedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, ++this.starts)).toISOString();
    this.play(c, this.behaviourOf(c));
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.record(`stop ${id} t=${timeoutSeconds}`);
    await this.latency();
    const c = this.containers.get(id);
    if (c && this.failStop.has(c.name)) {
      throw new DockerPlannerError(
        'STOP_FAILED',
        `stopping container ${id}: tried to kill container, but did not receive an exit event`,
        {
          container: id,
        },
      );
    }
    if (c && c.state !== 'exited') {
      // A job still running is killed: 137 like SIGKILL.
      const exitCode = c.pendingExit ? 137 : 0;
      Object.assign(c, { state: 'exited', exitCode, health: undefined, pendingExit: undefined });
    }
  }

  async removeContainer(id: string): Promise<void> {
    this.record(`remove ${id}`);
    await this.latency();
    this.containers.delete(id);
  }

  async waitContainer(id: string, timeoutMs: number): Promise<number | undefined> {
    this.record(`wait ${id} ${timeoutMs}ms`);
    const c = this.containers.get(id);
    if (!c) {
      throw new DockerPlannerError('ENGINE_ERROR', `waiting for container ${id}: no such container`, {
        container: id,
      });
    }
    if (c.pendingExit) {
      if (c.pendingExit.runsForMs > timeoutMs) return undefined;
      Object.assign(c, { state: 'exited', exitCode: c.pendingExit.exitCode, pendingExit: undefined });
    }
    return c.state === 'running' ? undefined : c.exitCode;
  }

  async containerLogs(id: string, options: { readonly tail: number }): Promise<string> {
    this.record(`logs ${id} tail=${options.tail}`);
    const lines = (this.containers.get(id)?.logs ?? '').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines
      .slice(-options.tail)
      .map((line) => `${line}\n`)
      .join('');
  }

  private async latency(): Promise<void> {
    if (this.latencyMs <= 0) return;
    this.concurrentCalls++;
    this.peakConcurrentCalls = Math.max(this.peakConcurrentCalls, this.concurrentCalls);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    } finally {
      this.concurrentCalls--;
    }
  }

  private record(call: string): void {
    this.calls.push(call);
    if (this.unreachable) {
      throw new DockerPlannerError('ENGINE_UNREACHABLE', `${call}: Docker engine unreachable (ECONNREFUSED)`);
    }
  }

  private behaviourOf(c: FakeContainer): FakeBehaviour {
    const rule = this.behaviours.find(
      ({ match }) =>
        (match.image === undefined || match.image === c.body?.Image) &&
        (match.name === undefined || match.name === c.name),
    );
    return rule?.behaviour ?? { kind: 'runs' };
  }

  private play(c: FakeContainer, behaviour: FakeBehaviour): void {
    const hasHealthcheck = c.body?.Healthcheck !== undefined && c.body.Healthcheck.Test?.[0] !== 'NONE';
    const probe = (exitCode: number, output: string) => ({
      exitCode,
      output,
      start: c.startedAt,
      end: c.startedAt,
    });
    c.logs += behaviour.logs ?? ''; // the engine keeps a container's logs across starts
    switch (behaviour.kind) {
      case 'runs':
        Object.assign(c, {
          state: 'running',
          exitCode: 0,
          oomKilled: false,
          health: hasHealthcheck ? { status: 'healthy', failingStreak: 0, log: [probe(0, 'ok')] } : undefined,
        });
        return;
      case 'unhealthy': {
        const failed = probe(behaviour.probeExitCode ?? 1, behaviour.probeOutput ?? 'probe failed');
        Object.assign(c, {
          state: 'running',
          health: { status: 'unhealthy', failingStreak: 3, log: [failed, failed, failed] },
        });
        return;
      }
      case 'exits':
        Object.assign(c, {
          state: 'exited',
          exitCode: behaviour.exitCode,
          oomKilled: behaviour.oomKilled ?? false,
          health: undefined,
        });
        return;
      case 'completes':
        Object.assign(c, {
          state: 'running',
          exitCode: 0,
          health: undefined,
          pendingExit: { exitCode: behaviour.exitCode, runsForMs: behaviour.runsForMs ?? 0 },
        });
        return;
      case 'restarts':
        Object.assign(c, {
          state: 'restarting',
          exitCode: behaviour.exitCode ?? 1,
          restartCount: behaviour.restartCount,
          health: undefined,
        });
        return;
    }
  }
}
