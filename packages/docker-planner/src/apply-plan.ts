import { parseImageReference } from '@stow/manifest';
import { type Settled, settle, settleBounded, valuesOrThrow } from './bounded.js';
import type { CreateOptions } from './create-options.js';
import type { DockerEngine } from './engine.js';
import { DockerPlannerError } from './errors.js';
import { LABEL_DEPLOYMENT } from './labels.js';
import type { Plan, PlannedContainer } from './plan.js';
import type { RegistryAuthLookup } from './registry-auth.js';
import { type DependsOn, startWaves } from './start-order.js';
import { type ReadyWait, waitUntilReady } from './wait-ready.js';

export type ApplyStep =
  | 'pull'
  | 'create-network'
  | 'stop'
  | 'remove'
  | 'create'
  | 'connect'
  | 'start'
  | 'prune-network'
  | 'keep-network';

export interface ApplyProgress {
  readonly step: ApplyStep;
  /** Image, network or container name. */
  readonly target: string;
  readonly detail?: string;
}

export interface ApplyOptions {
  readonly onProgress?: (event: ApplyProgress) => void;
  /** Registry credentials per image (see readDockerConfigAuth); default anonymous. */
  readonly registryAuth?: RegistryAuthLookup;
  /** Stop grace when the old container does not say (its Config.StopTimeout); default 10 s like Docker. */
  readonly defaultStopTimeoutSeconds?: number;
  /** At most this many pulls, stops or creates+starts at once; default DEFAULT_APPLY_CONCURRENCY. */
  readonly concurrency?: number;
  /**
   * Start order: groups of the plan's desired container names. Each group's replacements are created and
   * started in parallel (bounded), a group only after the previous one has started; stops run group by
   * group in reverse. Every desired container must be in exactly one group. Default: one group of all.
   */
  readonly waves?: ReadonlyArray<readonly string[]>;
  /**
   * Images the caller has just found or pulled (the reconciler's pull step): not looked up again. One
   * removed in between fails its create, like any other create failure.
   */
  readonly imagesPresent?: readonly string[];
  /** More images to pull with the containers' before anything is stopped (the jobs' images). */
  readonly alsoPull?: readonly string[];
  /**
   * Runs once every image is pulled and the networks exist, before anything is stopped (beforeApply
   * jobs): a throw aborts the apply with the running containers untouched.
   */
  readonly beforeStop?: () => Promise<void>;
  /**
   * The containers' dependsOn: the start waves are startWaves() of it (overriding `waves`); a wave
   * starts once the dependencies of its containers are ready (waitUntilReady).
   */
  readonly startOrder?: { readonly dependsOn: DependsOn; readonly ready: ReadyWait };
}

/**
 * Few enough to keep each container's downtime short on a small host: replacing 10 or 30 containers
 * on 2 cores, bounds 4, 8 and 16 took the same time within the run-to-run noise (the engine's own
 * work is the limit), while the median downtime per container doubled from 4 to 8 and again to 16
 * (docs/benchmarks.md, apply). docker compose allows 64.
 */
export const DEFAULT_APPLY_CONCURRENCY = 4;

/** A container removed or created by the apply, by its name in the deployment and its engine id. */
export interface Replaced {
  readonly container: string;
  readonly id: string;
}

/** Container states (State.Status) with no process to stop. */
const NOT_RUNNING: ReadonlySet<string> = new Set(['created', 'exited', 'dead']);

export interface ApplyResult {
  readonly pulled: readonly string[];
  readonly networksCreated: readonly string[];
  readonly removed: readonly Replaced[];
  readonly created: readonly Replaced[];
  readonly networksPruned: readonly string[];
  /** Managed networks no longer declared but still in use (403): left in place. */
  readonly networksKept: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
}

/** What to pull for an image reference: `repo@sha256:...` when pinned (no tag created), else the tag. */
export function pullReference(image: string): string {
  const ref = parseImageReference(image);
  return ref?.digest ? `${ref.repository}@${ref.digest}` : image;
}

/**
 * Carries out a plan (SPEC section 7): pull every missing image first (a failure aborts with nothing stopped),
 * create networks, stop and remove what changes or goes (containers being deleted first, then the start
 * waves in reverse), create + connect + start replacements wave by wave, prune managed networks no longer
 * declared. Pulls, stops and starts within a wave run in parallel, at most `concurrency` at once; the
 * first wave, stopped last, replaces each container as soon as its old one is gone. Every operation of a
 * phase is awaited before its failures are reported, all of them by name.
 * `createOptions` holds toCreateOptions() per replaced container.
 */
export async function applyPlan(
  plan: Plan,
  createOptions: Readonly<Record<string, CreateOptions>>,
  engine: DockerEngine,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const progress = options.onProgress ?? (() => {});
  const limit = concurrencyOf(options.concurrency);
  const replacing = new Set(plan.actions.filter((a) => a.action === 'replace').map((a) => a.container));
  const optionsOf = (container: string): CreateOptions => {
    const found = createOptions[container];
    if (!found) {
      throw new DockerPlannerError('INVALID_SPEC', `no create options for container ${container}`, {
        container,
      });
    }
    return found;
  };
  // Check everything needed before touching anything.
  for (const container of replacing) optionsOf(container);
  const desired = plan.actions.filter((a) => a.action !== 'delete').map((a) => a.container);
  const dependsOn = options.startOrder?.dependsOn ?? {};
  const waves = options.startOrder ? startWaves(desired, dependsOn) : wavesOf(plan, options.waves);

  // 1. pull, every image at once (bounded); any failure aborts before anything is stopped
  const images = [
    ...new Set([...[...replacing].map((c) => optionsOf(c).body.Image), ...(options.alsoPull ?? [])]),
  ];
  const present = new Set(options.imagesPresent);
  const pulls = await settleBounded(images, limit, async (image) => {
    if (present.has(image) || (await engine.imageExists(image))) return undefined;
    const ref = pullReference(image);
    progress({ step: 'pull', target: ref });
    await engine.pullImage(ref, options.registryAuth?.(image));
    if (!(await engine.imageExists(image))) {
      throw new DockerPlannerError(
        'PULL_FAILED',
        `pulling ${ref}: the engine reported success but has no ${image}`,
        { image },
      );
    }
    return ref;
  });
  const pulled = valuesOrThrow(pulls, 'pulls').filter((ref) => ref !== undefined);

  // 2. networks
  const networksCreated: string[] = [];
  for (const network of plan.networksToCreate) {
    progress({ step: 'create-network', target: network.name });
    await engine.createNetwork({ ...network, labels: { [LABEL_DEPLOYMENT]: plan.deploymentName } });
    networksCreated.push(network.name);
  }

  await options.beforeStop?.();

  // 3. stop and remove what changes or goes, dependents before what they depend on: containers being
  //    deleted first, then the later waves in reverse; the first wave stops last, in step 4.
  const existing = new Map(
    plan.actions
      .filter((a) => a.action !== 'noop' && a.existingId !== undefined)
      .map((a) => [a.container, a]),
  );
  const stopAndRemove = (action: PlannedContainer) =>
    named(action.container, undefined, async (): Promise<Replaced> => {
      const id = action.existingId as string;
      const inspected = await engine.inspectContainer(id);
      // One that is not running (exited, created, dead: e.g. the failed deployment a rollback
      // replaces) has nothing to stop: it is only removed.
      if (inspected && !NOT_RUNNING.has(inspected.status)) {
        const grace = inspected.stopTimeoutSeconds ?? options.defaultStopTimeoutSeconds ?? 10;
        progress({ step: 'stop', target: action.container, detail: action.reason });
        await engine.stopContainer(id, grace);
      }
      progress({ step: 'remove', target: action.container });
      await engine.removeContainer(id);
      return { container: action.container, id };
    });
  const createAndStart = (container: string) => {
    const { body, connectNetworks } = optionsOf(container);
    return named(container, body.Image, async (): Promise<Replaced> => {
      progress({ step: 'create', target: container, detail: body.Image });
      const id = await engine.createContainer(body);
      for (const network of connectNetworks) {
        progress({ step: 'connect', target: container, detail: network });
        await engine.connectNetwork(network, id, [container]);
      }
      progress({ step: 'start', target: container });
      await engine.startContainer(id);
      return { container, id };
    });
  };
  const deleted = plan.actions.filter((a) => a.action === 'delete').map((a) => a.container);
  const [firstWave = [], ...laterWaves] = waves;
  const removed: Replaced[] = [];
  for (const group of [deleted, ...[...laterWaves].reverse()]) {
    const stops = await settleBounded(
      group.flatMap((name) => existing.get(name) ?? []),
      limit,
      stopAndRemove,
    );
    removed.push(...valuesOrThrow(stops, 'stops'));
  }

  // 4. create, connect, start: wave after wave, each wave in parallel (bounded). The first wave stops
  //    last and waits for no dependency: each of its replacements is created as soon as its own old
  //    container is gone (its name is free), overlapping the other stops of the wave. One binding a
  //    fixed host port waits until every stop is done: an old container of the wave may hold the port.
  const created: Replaced[] = [];
  const idOf = new Map(plan.actions.flatMap((a) => (a.existingId ? [[a.container, a.existingId]] : [])));
  const recordStarted = (started: readonly Replaced[]) => {
    for (const { container, id } of started) idOf.set(container, id);
    created.push(...started);
  };
  const heldBack = firstWave.filter((name) => replacing.has(name) && bindsHostPorts(optionsOf(name)));
  const firstWaveRuns = await settleBounded(firstWave, limit, async (name) => {
    const old = existing.get(name);
    const stop = old ? await settle(() => stopAndRemove(old)) : undefined;
    const startNow = stop?.ok !== false && replacing.has(name) && !heldBack.includes(name);
    return { stop, start: startNow ? await settle(() => createAndStart(name)) : undefined };
  });
  const stops = firstWaveRuns.flatMap((run) => (run.ok ? (run.value.stop ?? []) : [run]));
  const starts = firstWaveRuns.flatMap((run) => (run.ok ? (run.value.start ?? []) : []));
  const failed = (list: readonly Settled<Replaced>[]) => list.some((s) => !s.ok);
  // Every failure of the wave at once (this throws when stops and starts both failed).
  if (failed(stops) && failed(starts)) valuesOrThrow([...stops, ...starts], 'stops and starts');
  removed.push(...valuesOrThrow(stops, 'stops'));
  recordStarted(valuesOrThrow(starts, 'starts'));
  recordStarted(valuesOrThrow(await settleBounded(heldBack, limit, createAndStart), 'starts'));
  created.sort((a, b) => firstWave.indexOf(a.container) - firstWave.indexOf(b.container));

  for (const wave of laterWaves) {
    const dependencies = [...new Set(wave.flatMap((name) => dependsOn[name] ?? []))];
    if (options.startOrder && dependencies.length > 0) {
      await waitUntilReady(
        engine,
        dependencies.map((name) => ({ name, id: idOf.get(name) ?? name })),
        options.startOrder.ready,
      );
    }
    const starts = await settleBounded(
      wave.filter((name) => replacing.has(name)),
      limit,
      createAndStart,
    );
    recordStarted(valuesOrThrow(starts, 'starts'));
  }

  // 5. prune networks no longer declared
  const networksPruned: string[] = [];
  const networksKept: Array<{ name: string; reason: string }> = [];
  for (const network of plan.networksToPrune) {
    try {
      await engine.removeNetwork(network.id);
      progress({ step: 'prune-network', target: network.name });
      networksPruned.push(network.name);
    } catch (error) {
      if (!(error instanceof DockerPlannerError && error.code === 'NETWORK_IN_USE')) throw error;
      const reason = 'still has active endpoints';
      progress({ step: 'keep-network', target: network.name, detail: reason });
      networksKept.push({ name: network.name, reason });
    }
  }

  return { pulled, networksCreated, removed, created, networksPruned, networksKept };
}

function concurrencyOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_APPLY_CONCURRENCY;
  if (!Number.isInteger(value) || value < 1) {
    throw new DockerPlannerError(
      'INVALID_SPEC',
      `apply concurrency must be a positive integer (got ${value})`,
    );
  }
  return value;
}

/** The start waves, checked against the plan: each desired container in exactly one wave. */
function wavesOf(plan: Plan, waves: ApplyOptions['waves']): ReadonlyArray<readonly string[]> {
  const desired = plan.actions.filter((a) => a.action !== 'delete').map((a) => a.container);
  if (waves === undefined) return [desired];
  const seen = new Set<string>();
  for (const [index, wave] of waves.entries()) {
    for (const name of wave) {
      const where = `start wave ${index + 1}`;
      if (!desired.includes(name)) {
        throw new DockerPlannerError(
          'INVALID_SPEC',
          `${where} names ${name}, not a container of the deployment`,
          {
            container: name,
          },
        );
      }
      if (seen.has(name)) {
        throw new DockerPlannerError(
          'INVALID_SPEC',
          `${where} names ${name} again: a container starts once`,
          {
            container: name,
          },
        );
      }
      seen.add(name);
    }
  }
  const missing = desired.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new DockerPlannerError('INVALID_SPEC', `start waves leave out ${missing.join(', ')}`, {
      container: missing[0] as string,
    });
  }
  return waves;
}

/** Whether the container binds a fixed host port (a port left to the engine, HostPort '', cannot clash). */
function bindsHostPorts({ body }: CreateOptions): boolean {
  return Object.values(body.HostConfig.PortBindings ?? {}).some((bindings) =>
    bindings.some((binding) => binding.HostPort !== ''),
  );
}

/** Runs one container's engine calls; an engine error that does not name the container gets its name. */
async function named<T>(container: string, image: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof DockerPlannerError) || error.container === container) throw error;
    throw new DockerPlannerError(error.code, `container ${container}: ${error.message}`, {
      container,
      ...(image === undefined ? {} : { image }),
      cause: error,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    });
  }
}
