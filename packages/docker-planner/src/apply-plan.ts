import { parseImageReference } from '@stow/manifest';
import { settleBounded, valuesOrThrow } from './bounded.js';
import type { CreateOptions } from './create-options.js';
import type { DockerEngine } from './engine.js';
import { DockerPlannerError } from './errors.js';
import { LABEL_DEPLOYMENT } from './labels.js';
import type { Plan } from './plan.js';
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

/** Like docker compose: enough to overlap engine round trips, few enough not to swamp a small host. */
export const DEFAULT_APPLY_CONCURRENCY = 4;

export interface ApplyResult {
  readonly pulled: readonly string[];
  readonly networksCreated: readonly string[];
  readonly removed: ReadonlyArray<{ readonly container: string; readonly id: string }>;
  readonly created: ReadonlyArray<{ readonly container: string; readonly id: string }>;
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
 * declared. Pulls, stops and starts within a wave run in parallel, at most `concurrency` at once; every
 * operation of a phase is awaited before its failures are reported, all of them by name.
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
  const pulls = await settleBounded(images, limit, async (image) => {
    if (await engine.imageExists(image)) return undefined;
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

  // 3. stop and remove what changes or goes (before creating: host ports and names must be free):
  //    containers being deleted first, then dependents before what they depend on (waves reversed)
  const existing = new Map(
    plan.actions
      .filter((a) => a.action !== 'noop' && a.existingId !== undefined)
      .map((a) => [a.container, a]),
  );
  const deleted = plan.actions.filter((a) => a.action === 'delete').map((a) => a.container);
  const removed: Array<{ container: string; id: string }> = [];
  for (const group of [deleted, ...[...waves].reverse()]) {
    const actions = group.flatMap((name) => existing.get(name) ?? []);
    const stops = await settleBounded(actions, limit, (action) =>
      named(action.container, undefined, async () => {
        const id = action.existingId as string;
        const inspected = await engine.inspectContainer(id);
        if (inspected) {
          const grace = inspected.stopTimeoutSeconds ?? options.defaultStopTimeoutSeconds ?? 10;
          progress({ step: 'stop', target: action.container, detail: action.reason });
          await engine.stopContainer(id, grace);
        }
        progress({ step: 'remove', target: action.container });
        await engine.removeContainer(id);
        return { container: action.container, id };
      }),
    );
    removed.push(...valuesOrThrow(stops, 'stops'));
  }

  // 4. create, connect, start: wave after wave, each wave in parallel (bounded)
  const created: Array<{ container: string; id: string }> = [];
  const idOf = new Map(plan.actions.flatMap((a) => (a.existingId ? [[a.container, a.existingId]] : [])));
  for (const wave of waves) {
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
      (container) => {
        const { body, connectNetworks } = optionsOf(container);
        return named(container, body.Image, async () => {
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
      },
    );
    const started = valuesOrThrow(starts, 'starts');
    for (const { container, id } of started) idOf.set(container, id);
    created.push(...started);
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
