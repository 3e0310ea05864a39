import type Docker from 'dockerode';
import type { ContainerCreateBody } from './create-options.js';
import type { DockerEngine, NetworkCreateRequest, RegistryAuth } from './engine.js';
import type { DockerPlannerErrorCode, DockerPlannerErrorContext } from './errors.js';
import { DockerPlannerError } from './errors.js';
import { type EngineInspectJson, inspectionOf } from './inspection.js';

export interface DockerEngineOptions {
  /** Limit of every short Engine call (list, inspect, create, start, remove...). Default 30 s. */
  readonly callTimeoutMs?: number;
  /** Limit of one image pull. Default 10 min. */
  readonly pullTimeoutMs?: number;
}

interface EngineFailure {
  statusCode?: number;
  code?: string;
  name?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** The engine's own words: dockerode's 404 text says "no such container" even for images. */
export function engineMessage(error: unknown): string {
  const failure = (error ?? {}) as EngineFailure;
  const message = failure.json?.message ?? failure.reason ?? failure.message ?? String(error);
  return String(message).trim();
}

/**
 * The health the list call reports inside its Status text ("Up 2 minutes (healthy)", "(unhealthy)",
 * "(health: starting)"), so per-container metrics need no inspect per container.
 */
export function healthOfStatus(status: string | undefined): {
  health?: 'healthy' | 'unhealthy' | 'starting';
} {
  const match = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '');
  if (!match) return {};
  return { health: match[1] === 'health: starting' ? 'starting' : (match[1] as 'healthy' | 'unhealthy') };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as EngineFailure | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns a dockerode failure into a DockerPlannerError: timeouts and an unreachable socket get their own codes,
 * everything else `code` with the engine's message.
 */
export function toPlannerError(
  error: unknown,
  code: DockerPlannerErrorCode,
  what: string,
  context: Omit<DockerPlannerErrorContext, 'cause' | 'statusCode'> = {},
): DockerPlannerError {
  if (error instanceof DockerPlannerError) return error;
  const failure = (error ?? {}) as EngineFailure;
  if (failure.name === 'AbortError' || failure.name === 'TimeoutError' || failure.code === 'ABORT_ERR') {
    return new DockerPlannerError('ENGINE_TIMEOUT', `${what}: the Docker engine did not answer in time`, {
      ...context,
      cause: error,
    });
  }
  if (failure.code !== undefined && UNREACHABLE.has(failure.code)) {
    return new DockerPlannerError(
      'ENGINE_UNREACHABLE',
      `${what}: Docker engine unreachable (${failure.code})`,
      {
        ...context,
        cause: error,
      },
    );
  }
  const statusCode = statusOf(error);
  const finalCode = statusCode === 409 && code === 'CREATE_FAILED' ? 'NAME_CONFLICT' : code;
  return new DockerPlannerError(finalCode, `${what}: ${engineMessage(error)}`, {
    ...context,
    ...(statusCode === undefined ? {} : { statusCode }),
    cause: error,
  });
}

/** The dockerode implementation of DockerEngine: a timeout on every call, idempotent start/stop/remove. */
export function createDockerEngine(docker: Docker, options: DockerEngineOptions = {}): DockerEngine {
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const pullTimeoutMs = options.pullTimeoutMs ?? 600_000;
  const signal = (ms = callTimeoutMs) => AbortSignal.timeout(ms);

  async function call<T>(
    run: () => Promise<T>,
    code: DockerPlannerErrorCode,
    what: string,
    context: Omit<DockerPlannerErrorContext, 'cause' | 'statusCode'> = {},
    accept: readonly number[] = [],
  ): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && accept.includes(status)) return undefined;
      throw toPlannerError(error, code, what, context);
    }
  }

  return {
    async listContainers() {
      const list = await call(
        () => docker.listContainers({ all: true, abortSignal: signal() }),
        'ENGINE_ERROR',
        'listing containers',
      );
      return (list ?? []).map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? '').replace(/^\//, ''),
        state: c.State,
        labels: c.Labels ?? {},
        ...healthOfStatus(c.Status),
      }));
    },

    async inspectContainer(idOrName) {
      const info = await call(
        () => docker.getContainer(idOrName).inspect({ abortSignal: signal() }),
        'ENGINE_ERROR',
        `inspecting container ${idOrName}`,
        { container: idOrName },
        [404],
      );
      return info === undefined ? undefined : inspectionOf(info as unknown as EngineInspectJson);
    },

    async imageExists(ref) {
      const info = await call(
        // dockerode's image inspect ignores abortSignal: race it against the timeout instead.
        () => withTimeout(docker.getImage(ref).inspect(), callTimeoutMs),
        'ENGINE_ERROR',
        `inspecting image ${ref}`,
        { image: ref },
        [404],
      );
      return info !== undefined;
    },

    async pullImage(ref, auth) {
      await call(() => pull(docker, ref, auth, signal(pullTimeoutMs)), 'PULL_FAILED', `pulling ${ref}`, {
        image: ref,
      });
    },

    async listNetworks() {
      const list = await call(
        () => docker.listNetworks({ abortSignal: signal() }),
        'ENGINE_ERROR',
        'listing networks',
      );
      return (list ?? []).map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
    },

    async createNetwork(request: NetworkCreateRequest) {
      const network = await call(
        () =>
          docker.createNetwork({
            Name: request.name,
            CheckDuplicate: true,
            Internal: request.internal,
            Labels: { ...request.labels },
            ...(request.driver === undefined ? {} : { Driver: request.driver }),
            abortSignal: signal(),
          }),
        'NETWORK_FAILED',
        `creating network ${request.name}`,
        { network: request.name },
      );
      return network?.id ?? '';
    },

    async removeNetwork(idOrName) {
      try {
        await docker.getNetwork(idOrName).remove({ abortSignal: signal() });
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return;
        const code = status === 403 ? 'NETWORK_IN_USE' : 'NETWORK_FAILED';
        throw toPlannerError(error, code, `removing network ${idOrName}`, { network: idOrName });
      }
    },

    async createContainer(body: ContainerCreateBody) {
      const container = await call(
        () => docker.createContainer({ ...body, abortSignal: signal() } as Docker.ContainerCreateOptions),
        'CREATE_FAILED',
        `creating container ${body.name}`,
        { container: body.name, image: body.Image },
      );
      return container?.id ?? '';
    },

    async connectNetwork(network, containerId, aliases) {
      await call(
        () =>
          docker.getNetwork(network).connect({
            Container: containerId,
            EndpointConfig: { Aliases: [...aliases] },
            abortSignal: signal(),
          } as Docker.NetworkConnectOptions),
        'CONNECT_FAILED',
        `connecting container ${containerId.slice(0, 12)} to network ${network}`,
        { container: containerId, network },
      );
    },

    async startContainer(id) {
      await call(
        () => docker.getContainer(id).start({ abortSignal: signal() }),
        'START_FAILED',
        `starting container ${id.slice(0, 12)}`,
        { container: id },
        [304],
      );
    },

    async stopContainer(id, timeoutSeconds) {
      await call(
        () =>
          docker
            .getContainer(id)
            .stop({ t: timeoutSeconds, abortSignal: signal(callTimeoutMs + timeoutSeconds * 1000) }),
        'STOP_FAILED',
        `stopping container ${id.slice(0, 12)}`,
        { container: id },
        [304, 404],
      );
    },

    async removeContainer(id) {
      await call(
        () => docker.getContainer(id).remove({ force: true, abortSignal: signal() }),
        'REMOVE_FAILED',
        `removing container ${id.slice(0, 12)}`,
        { container: id },
        [404],
      );
    },

    async waitContainer(id, timeoutMs) {
      try {
        const result = (await docker
          .getContainer(id)
          .wait({ condition: 'not-running', abortSignal: signal(timeoutMs) })) as { StatusCode?: number };
        return result.StatusCode ?? 0;
      } catch (error) {
        const failure = (error ?? {}) as EngineFailure;
        // The wait outlived timeoutMs: the container still runs.
        if (failure.name === 'AbortError' || failure.name === 'TimeoutError' || failure.code === 'ABORT_ERR')
          return undefined;
        throw toPlannerError(error, 'JOB_FAILED', `waiting for container ${id.slice(0, 12)}`, {
          container: id,
        });
      }
    },

    async containerLogs(id, options) {
      const output = await call(
        () =>
          docker.getContainer(id).logs({
            stdout: true,
            stderr: true,
            follow: false,
            tail: options.tail,
            abortSignal: signal(),
          } as Docker.ContainerLogsOptions & { follow: false }),
        'JOB_FAILED',
        `reading the logs of container ${id.slice(0, 12)}`,
        { container: id },
      );
      return output === undefined ? '' : demultiplexLogs(Buffer.from(output));
    },
  };
}

/**
 * The text of a non-TTY log stream: frames of an 8-byte header (stream type, 3 zero bytes, big-endian
 * length) then the payload, stdout and stderr interleaved as written. A TTY container's logs are raw.
 */
export function demultiplexLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const framed = (type === 0 || type === 1 || type === 2) && buffer.readUIntBE(offset + 1, 3) === 0;
    if (!framed) return buffer.toString('utf8');
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return offset === buffer.length ? Buffer.concat(parts).toString('utf8') : buffer.toString('utf8');
}

/** Pulls and scans every progress object: errors can arrive in-band in a 200 stream. */
async function pull(
  docker: Docker,
  ref: string,
  auth: RegistryAuth | undefined,
  abortSignal: AbortSignal,
): Promise<void> {
  // Without a callback dockerode returns the stream's promise; @types/dockerode lacks that overload with auth.
  const pullWithAuth = docker.pull.bind(docker) as unknown as (
    repoTag: string,
    options: { abortSignal: AbortSignal },
    callback: undefined,
    auth: RegistryAuth | undefined,
  ) => Promise<NodeJS.ReadableStream>;
  const stream = await pullWithAuth(ref, { abortSignal }, undefined, auth ? { ...auth } : undefined);
  const events = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<Record<string, unknown>>) =>
      error ? reject(error) : resolve(output ?? []),
    );
  });
  const failure = events.find((event) => event.error !== undefined || event.errorDetail !== undefined);
  if (failure) {
    const detail = failure.errorDetail as { message?: string } | undefined;
    throw new Error(String(failure.error ?? detail?.message ?? 'unknown pull error').trim());
  }
}

/** Rejects with a TimeoutError when `promise` takes longer than `ms` (for calls without abortSignal support). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
