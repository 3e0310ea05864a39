import {
  createDeploymentResolver,
  type HistoryEntry,
  type HistoryLogs,
  type ReconcileContext,
  type ReconcileLog,
  type ReconcileOutcome,
  type ReconcileRequest,
  runReconcile,
} from '@stow/reconciler';

/** What the host runs now, from `~/running-config` and its snapshot metadata. */
export interface RunningDeployment {
  readonly deploymentHash: string;
  readonly gitRevision: string;
  readonly deploymentName: string;
}

/**
 * The narrow port the daemon reaches the reconciler, the desired-state source and the snapshot store
 * through. Tests pass a fake; `backendFromContext` adapts a real ReconcileContext.
 */
export interface DaemonBackend {
  /** One reconcile (never throws for a failed deploy); `log` carries this run's reconcile id. */
  reconcile(request: ReconcileRequest, log: ReconcileLog): Promise<ReconcileOutcome>;
  /** The deployment a commit describes (download, decrypt, hash; nothing on the host changes). */
  resolveDeployment(sha: string): Promise<{ readonly deploymentHash: string }>;
  defaultBranchHead(): Promise<{ readonly sha: string }>;
  /** The full sha of a (possibly abbreviated) commit, or undefined when the repository has none. */
  resolveCommit(sha: string): Promise<string | undefined>;
  isOnDefaultBranch(sha: string): Promise<boolean>;
  running(): Promise<RunningDeployment | undefined>;
  /**
   * The containers of the running deployment as the engine reports them (no jobs), sorted by name:
   * one list call, then one inspect per container of the deployment (bounded by stow.yaml) for its
   * image, restart count and start time. For the per-container metrics and the status page; callers
   * cache it. Optional: a backend without an engine reports none.
   */
  containers?(): Promise<readonly DeploymentContainer[]>;
  /** The durable history, newest first, at most `limit` entries (the reconciler's history on disk). */
  history?(limit: number): Promise<readonly HistoryEntry[]>;
  /** The forensics of one history entry's failed containers; undefined when the entry has none. */
  historyLogs?(id: string): Promise<HistoryLogs | undefined>;
  /** Deployment hashes whose last attempt failed: the reconciler's quarantine on disk. */
  failedDeployments(): Promise<ReadonlyArray<{ readonly deploymentHash: string; readonly reason: string }>>;
}

export interface DeploymentContainer {
  readonly name: string;
  /** The engine's state: running, exited, restarting... */
  readonly state: string;
  /** undefined: the container has no healthcheck. */
  readonly health: 'healthy' | 'unhealthy' | 'starting' | undefined;
  /** What only an inspect tells; absent when the inspect did not answer (the container just went). */
  readonly image?: string | undefined;
  /** The local image id (`sha256:...`), for an image reference without a digest. */
  readonly imageId?: string | undefined;
  /** Restarts by the restart policy since the last start by stow. */
  readonly restartCount?: number | undefined;
  /** ISO 8601; undefined before the first start. */
  readonly startedAt?: string | undefined;
}

// The Docker port's types as the reconcile context carries them (the daemon reaches the engine only there).
type Engine = ReconcileContext['engine'];
type ActualContainer = Awaited<ReturnType<Engine['listContainers']>>[number];
type ContainerInspection = NonNullable<Awaited<ReturnType<Engine['inspectContainer']>>>;

const HEALTH_STATES = new Set(['healthy', 'unhealthy', 'starting']);

/** One container of the deployment: the list call's facts, completed by its inspect when there is one. */
export function deploymentContainer(
  listed: ActualContainer,
  inspected: ContainerInspection | undefined,
): DeploymentContainer {
  if (!inspected) return { name: listed.name, state: listed.state, health: listed.health };
  const health = inspected.health?.status;
  return {
    name: listed.name,
    state: inspected.status,
    health:
      health !== undefined && HEALTH_STATES.has(health)
        ? (health as DeploymentContainer['health'])
        : undefined,
    image: inspected.image,
    imageId: inspected.imageId,
    restartCount: inspected.restartCount,
    startedAt: inspected.startedAt,
  };
}

/** Adapts a real ReconcileContext; each reconcile runs with its own log (its own reconcile id). */
export function backendFromContext(context: ReconcileContext): DaemonBackend {
  const { source, store } = context;
  // Most commits asked about differ from a resolved one only in stow.yaml: resolved without an archive.
  const deployments = createDeploymentResolver(context);
  return {
    reconcile: (request, log) => runReconcile({ ...context, log }, request),
    async resolveDeployment(sha) {
      const resolved = await deployments.resolve(sha);
      return { deploymentHash: resolved.hashes.deploymentHash };
    },
    defaultBranchHead: () => source.defaultBranchHead(),
    async resolveCommit(sha) {
      return (await source.resolveCommit(sha)) ?? undefined;
    },
    isOnDefaultBranch: (sha) => source.isOnDefaultBranch(sha),
    failedDeployments: () => context.quarantine.list(),
    history: (limit) => context.history.list(limit),
    historyLogs: (id) => context.history.logs(id),
    async containers() {
      const ref = await store.running();
      if (!ref) return [];
      const { deploymentName } = await store.readMetadata(ref);
      const ours = (await context.engine.listContainers())
        .filter((c) => c.labels['stow.deployment'] === deploymentName && c.labels['stow.job'] === undefined)
        .sort((a, b) => a.name.localeCompare(b.name));
      // Restart count, start time and image are only in an inspect: one per container of the
      // deployment, never of anything else on the host. A container gone meanwhile keeps its list facts.
      return Promise.all(
        ours.map(async (c) =>
          deploymentContainer(c, await context.engine.inspectContainer(c.id).catch(() => undefined)),
        ),
      );
    },
    async running() {
      const ref = await store.running();
      if (!ref) return undefined;
      const metadata = await store.readMetadata(ref);
      return {
        deploymentHash: ref.deploymentHash,
        gitRevision: metadata.gitRevision,
        deploymentName: metadata.deploymentName,
      };
    },
  };
}
