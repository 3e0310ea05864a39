import path from 'node:path';
import type { ContainerSpec, HealthcheckSpec, MountSpec } from '@stow/manifest';
import { parseDuration, parsePortBinding } from '@stow/manifest';
import { DockerPlannerError } from './errors.js';
import { hashLabelValue, LABEL_CONTAINER, LABEL_DEPLOYMENT, LABEL_HASH } from './labels.js';

export interface CreateContext {
  readonly deploymentName: string;
  /** The deployment hash (64 hex); the label gets `v1:` in front. */
  readonly deploymentHash: string;
  /** Absolute path of the snapshot directory itself (never a symlink that moves): mount sources live here. */
  readonly snapshotDir: string;
  /** Variables from the container's envFiles, already parsed and merged in order (see mergeEnvFiles). */
  readonly envFromFiles: Readonly<Record<string, string>>;
}

export interface EngineMount {
  Type: 'bind' | 'volume';
  Source: string;
  Target: string;
  ReadOnly: boolean;
}

export interface EnginePortBinding {
  HostIp: string;
  HostPort: string;
}

export interface EngineHealthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface EngineHostConfig {
  Mounts?: EngineMount[];
  PortBindings?: Record<string, EnginePortBinding[]>;
  NetworkMode?: string;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  CapAdd?: string[];
  CapDrop?: string[];
  ReadonlyRootfs?: boolean;
  Tmpfs?: Record<string, string>;
  Memory?: number;
  NanoCpus?: number;
  ExtraHosts?: string[];
  LogConfig?: { Type: string; Config: Record<string, string> };
  Init?: boolean;
}

/** The body of `POST /containers/create` (plus `name`, which dockerode sends as the query parameter). */
export interface ContainerCreateBody {
  name: string;
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: EngineHealthcheck;
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  StopTimeout?: number;
  StopSignal?: string;
  HostConfig: EngineHostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, { Aliases: string[] }> };
}

export interface CreateOptions {
  readonly body: ContainerCreateBody;
  /** Networks after the first: connect them (alias = container name) after create, before start. */
  readonly connectNetworks: readonly string[];
}

/** Builds the Engine API create request of one stow.yaml container. Pure: builds, never calls Docker. */
export function toCreateOptions(name: string, spec: ContainerSpec, context: CreateContext): CreateOptions {
  const [firstNetwork, ...otherNetworks] = spec.networks ?? [];
  const ports = portsOf(name, spec.ports ?? []);
  const env = envOf(spec, context.envFromFiles);
  const hostConfig: EngineHostConfig = {
    ...(spec.mounts?.length ? { Mounts: spec.mounts.map((m) => mountOf(name, m, context.snapshotDir)) } : {}),
    ...(ports ? { PortBindings: ports.bindings } : {}),
    ...(firstNetwork !== undefined ? { NetworkMode: firstNetwork } : {}),
    ...(spec.restart !== undefined ? { RestartPolicy: restartPolicyOf(spec.restart) } : {}),
    ...(spec.capAdd ? { CapAdd: [...spec.capAdd] } : {}),
    ...(spec.capDrop ? { CapDrop: [...spec.capDrop] } : {}),
    ...(spec.readOnly !== undefined ? { ReadonlyRootfs: spec.readOnly } : {}),
    ...(spec.tmpfs?.length ? { Tmpfs: tmpfsOf(spec.tmpfs) } : {}),
    ...(spec.memory !== undefined ? { Memory: memoryBytes(name, spec.memory) } : {}),
    ...(spec.cpus !== undefined ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
    ...(spec.extraHosts ? { ExtraHosts: [...spec.extraHosts] } : {}),
    ...(spec.logging
      ? { LogConfig: { Type: spec.logging.driver, Config: { ...spec.logging.options } } }
      : {}),
    ...(spec.init !== undefined ? { Init: spec.init } : {}),
  };
  const body: ContainerCreateBody = {
    name,
    Image: spec.image,
    ...(spec.command ? { Cmd: [...spec.command] } : {}),
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    ...(env.length ? { Env: env } : {}),
    Labels: {
      ...spec.labels,
      [LABEL_DEPLOYMENT]: context.deploymentName,
      [LABEL_HASH]: hashLabelValue(context.deploymentHash),
      [LABEL_CONTAINER]: name,
    },
    ...(ports ? { ExposedPorts: ports.exposed } : {}),
    ...(spec.healthcheck ? { Healthcheck: healthcheckOf(spec.healthcheck) } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.hostname !== undefined ? { Hostname: spec.hostname } : {}),
    ...(spec.stopTimeout !== undefined ? { StopTimeout: spec.stopTimeout } : {}),
    ...(spec.stopSignal !== undefined ? { StopSignal: spec.stopSignal } : {}),
    HostConfig: hostConfig,
    ...(firstNetwork !== undefined
      ? { NetworkingConfig: { EndpointsConfig: { [firstNetwork]: { Aliases: [name] } } } }
      : {}),
  };
  return { body, connectNetworks: otherNetworks };
}

/** envFiles first (already merged), then inline env, which wins; values become strings. */
function envOf(spec: ContainerSpec, fromFiles: Readonly<Record<string, string>>): string[] {
  const merged: Record<string, string> = { ...fromFiles };
  for (const [key, value] of Object.entries(spec.env ?? {})) merged[key] = String(value);
  return Object.entries(merged).map(([key, value]) => `${key}=${value}`);
}

function portsOf(
  container: string,
  specs: readonly string[],
):
  | { exposed: Record<string, Record<string, never>>; bindings: Record<string, EnginePortBinding[]> }
  | undefined {
  if (specs.length === 0) return undefined;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, EnginePortBinding[]> = {};
  for (const spec of specs) {
    const port = parsePortBinding(spec);
    if (!port)
      throw new DockerPlannerError(
        'INVALID_SPEC',
        `container ${container}: bad port ${JSON.stringify(spec)}`,
        { container },
      );
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    const list = bindings[key] ?? [];
    list.push({
      HostIp: port.hostIp ?? '',
      HostPort: port.hostPort === undefined ? '' : String(port.hostPort),
    });
    bindings[key] = list;
  }
  return { exposed, bindings };
}

function mountOf(container: string, mount: MountSpec, snapshotDir: string): EngineMount {
  const ReadOnly = mount.readOnly ?? false;
  if (mount.volume !== undefined)
    return { Type: 'volume', Source: mount.volume, Target: mount.target, ReadOnly };
  if (mount.hostPath !== undefined)
    return { Type: 'bind', Source: mount.hostPath, Target: mount.target, ReadOnly };
  if (mount.source === undefined) {
    throw new DockerPlannerError(
      'INVALID_SPEC',
      `container ${container}: mount ${mount.target} has no source`,
      {
        container,
      },
    );
  }
  if (!path.isAbsolute(snapshotDir)) {
    throw new DockerPlannerError(
      'INVALID_SPEC',
      `snapshot directory ${snapshotDir} is not an absolute path`,
      {
        container,
      },
    );
  }
  const source = path.join(snapshotDir, mount.source);
  if (!source.startsWith(path.join(snapshotDir, path.sep))) {
    throw new DockerPlannerError(
      'INVALID_SPEC',
      `container ${container}: mount source ${JSON.stringify(mount.source)} leaves the snapshot directory`,
      { container },
    );
  }
  return { Type: 'bind', Source: source, Target: mount.target, ReadOnly };
}

/** `on-failure:3` -> `{ Name: 'on-failure', MaximumRetryCount: 3 }`. */
export function restartPolicyOf(restart: string): { Name: string; MaximumRetryCount?: number } {
  const [policy = restart, retries] = restart.split(':');
  return retries === undefined ? { Name: policy } : { Name: policy, MaximumRetryCount: Number(retries) };
}

function healthcheckOf(spec: HealthcheckSpec): EngineHealthcheck {
  const nanos = (duration: string | undefined) =>
    duration === undefined ? undefined : Math.round(parseDuration(duration) * 1e6);
  const fields: Array<[keyof EngineHealthcheck, number | undefined]> = [
    ['Interval', nanos(spec.interval)],
    ['Timeout', nanos(spec.timeout)],
    ['StartPeriod', nanos(spec.startPeriod)],
    ['StartInterval', nanos(spec.startInterval)],
    ['Retries', spec.retries],
  ];
  const check: EngineHealthcheck = {
    Test: typeof spec.test === 'string' ? ['CMD-SHELL', spec.test] : [...spec.test],
  };
  for (const [key, value] of fields) if (value !== undefined) Object.assign(check, { [key]: value });
  return check;
}

/** `/run:size=64m` -> `{ '/run': 'size=64m' }`; `/tmp` -> `{ '/tmp': '' }`. */
function tmpfsOf(entries: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    if (colon === -1) result[entry] = '';
    else result[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return result;
}

const MEMORY_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes of a memory limit: a number is bytes; `512m`, `1.5g`, `64k`, `100b` use 1024-based units like Docker. */
export function memoryBytes(container: string, memory: number | string): number {
  if (typeof memory === 'number') return memory;
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(memory);
  if (!match) {
    throw new DockerPlannerError(
      'INVALID_SPEC',
      `container ${container}: bad memory ${JSON.stringify(memory)}`,
      {
        container,
      },
    );
  }
  const unit = MEMORY_UNITS[(match[2] || 'b').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}
