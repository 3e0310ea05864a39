import { parseImageReference } from '@stow/manifest';
import type { CreateOptions } from './create-options.js';
import type { DockerEngine } from './engine.js';
import { DockerPlannerError } from './errors.js';
import { LABEL_DEPLOYMENT } from './labels.js';
import type { Plan } from './plan.js';
import type { RegistryAuthLookup } from './registry-auth.js';
import { type DependsOn, startWaves, stopOrder } from './start-order.js';
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
  /** More images to pull with the containers' before anything is stopped (the jobs' images). */
  readonly alsoPull?: readonly string[];
  /**
   * Runs once every image is pulled and the networks exist, before anything is stopped (beforeApply
   * jobs): a throw aborts the apply with the running containers untouched.
   */
  readonly beforeStop?: () => Promise<void>;
  /**
   * The containers' dependsOn: they start wave by wave (see startWaves), each after its dependencies
   * are ready (waitUntilReady), and stop in reverse. Without it: manifest order, no waiting.
   */
  readonly startOrder?: { readonly dependsOn: DependsOn; readonly ready: ReadyWait };
}

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
 * create networks, stop and remove what changes or goes, create + connect + start replacements in manifest
 * order, prune managed networks no longer declared. `createOptions` holds toCreateOptions() per replaced container.
 */
export async function applyPlan(
  plan: Plan,
  createOptions: Readonly<Record<string, CreateOptions>>,
  engine: DockerEngine,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const progress = options.onProgress ?? (() => {});
  const replacements = plan.actions.filter((a) => a.action === 'replace');
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
  for (const action of replacements) optionsOf(action.container);

  // 1. pull
  const pulled: string[] = [];
  const images = [
    ...new Set([...replacements.map((a) => optionsOf(a.container).body.Image), ...(options.alsoPull ?? [])]),
  ];
  for (const image of images) {
    if (await engine.imageExists(image)) continue;
    const ref = pullReference(image);
    progress({ step: 'pull', target: ref });
    await engine.pullImage(ref, options.registryAuth?.(image));
    if (!(await engine.imageExists(image))) {
      throw new DockerPlannerError(
        'PULL_FAILED',
        `pulling ${ref}: the engine reported success but has no ${image}`,
        {
          image,
        },
      );
    }
    pulled.push(ref);
  }

  // 2. networks
  const networksCreated: string[] = [];
  for (const network of plan.networksToCreate) {
    progress({ step: 'create-network', target: network.name });
    await engine.createNetwork({ ...network, labels: { [LABEL_DEPLOYMENT]: plan.deploymentName } });
    networksCreated.push(network.name);
  }

  await options.beforeStop?.();

  // 3. stop and remove what changes or goes (before creating: host ports and names must be free),
  // what goes first, then dependents before their dependencies
  const dependsOn = options.startOrder?.dependsOn ?? {};
  const desired = plan.actions.filter((a) => a.action !== 'delete').map((a) => a.container);
  const stopRank = new Map(stopOrder(desired, dependsOn).map((name, index) => [name, index]));
  const toStop = [...plan.actions].sort(
    (a, b) => (stopRank.get(a.container) ?? -1) - (stopRank.get(b.container) ?? -1),
  );
  const removed: Array<{ container: string; id: string }> = [];
  for (const action of toStop) {
    if (action.action === 'noop' || action.existingId === undefined) continue;
    const id = action.existingId;
    const inspected = await engine.inspectContainer(id);
    if (inspected) {
      const grace = inspected.stopTimeoutSeconds ?? options.defaultStopTimeoutSeconds ?? 10;
      progress({ step: 'stop', target: action.container, detail: action.reason });
      await engine.stopContainer(id, grace);
    }
    progress({ step: 'remove', target: action.container });
    await engine.removeContainer(id);
    removed.push({ container: action.container, id });
  }

  // 4. create, connect, start wave by wave (manifest order without dependsOn)
  const created: Array<{ container: string; id: string }> = [];
  const idOf = new Map(plan.actions.flatMap((a) => (a.existingId ? [[a.container, a.existingId]] : [])));
  for (const wave of startWaves(desired, dependsOn)) {
    const starting = replacements.filter((a) => wave.includes(a.container));
    const dependencies = [...new Set(starting.flatMap((a) => dependsOn[a.container] ?? []))];
    if (options.startOrder && dependencies.length > 0) {
      await waitUntilReady(
        engine,
        dependencies.map((name) => ({ name, id: idOf.get(name) ?? name })),
        options.startOrder.ready,
      );
    }
    for (const action of starting) idOf.set(action.container, await startReplacement(action.container));
  }

  /** create + connect + start of one replacement; returns its id. */

  async function startReplacement(container: string): Promise<string> {
    const { body, connectNetworks } = optionsOf(container);
    progress({ step: 'create', target: container, detail: body.Image });
    const id = await engine.createContainer(body);
    created.push({ container: container, id });
    for (const network of connectNetworks) {
      progress({ step: 'connect', target: container, detail: network });
      await engine.connectNetwork(network, id, [container]);
    }
    progress({ step: 'start', target: container });
    try {
      await engine.startContainer(id);
    } catch (error) {
      if (error instanceof DockerPlannerError && error.code === 'START_FAILED') {
        throw new DockerPlannerError('START_FAILED', `container ${container}: ${error.message}`, {
          container: container,
          image: body.Image,
          cause: error,
          ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
        });
      }
      throw error;
    }
    return id;
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
