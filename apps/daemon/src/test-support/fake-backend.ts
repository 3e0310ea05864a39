import type {
  HistoryEntry,
  HistoryLogs,
  JobRunRecord,
  ReconcileLog,
  ReconcileOutcome,
  ReconcileRequest,
} from '@stow/reconciler';
import type { DaemonBackend, DeploymentContainer, RunningDeployment } from '../backend.js';

export const sha = (char: string) => char.repeat(40);
export const hash = (char: string) => char.repeat(64);

/** An in-memory repository and host: commits with their deployment hash, a head, what runs. */
export class FakeBackend implements DaemonBackend {
  readonly commits = new Map<string, { deploymentHash: string; onDefaultBranch: boolean }>();
  head: string;
  runningDeployment: RunningDeployment | undefined;
  /** How long a reconcile takes. */
  reconcileMs = 0;
  resolveMs = 0;
  readonly requests: ReconcileRequest[] = [];
  readonly logs: ReconcileLog[] = [];
  resolveDeploymentCalls = 0;
  resolveCommitCalls = 0;
  /** Resolutions in progress now, and the most seen at once. */
  resolving = 0;
  maxResolving = 0;
  /** While set, every resolution waits for it (see `holdResolutions`). */
  #hold: Promise<void> | undefined;
  /** When set, resolutions fail with it (e.g. GitLab's 429). */
  resolveError: Error | undefined;
  /** Deployment hashes whose reconcile fails verification and rolls back, with the reason. */
  readonly failing = new Map<string, string>();
  /** Deployment hash -> the job runs its apply reports. */
  readonly jobRuns = new Map<string, JobRunRecord[]>();
  /**
   * The reconciler's quarantine as it would be on disk: a rollback adds the hash, a success
   * releases it; `stow reconcile` in another process may change it too (tests write it directly).
   */
  readonly quarantine = new Map<string, string>();
  /** The durable history as the reconciler keeps it, newest first (tests fill it directly). */
  readonly historyEntries: HistoryEntry[] = [];
  /** History id -> the forensics of its failed containers. */
  readonly forensics = new Map<string, HistoryLogs>();
  /** What the engine reports of the running deployment's containers; an Error: the engine fails with it. */
  engineContainers: readonly DeploymentContainer[] | Error = [];
  /** How long the engine takes to answer (a hung engine: longer than the page waits). */
  containersMs = 0;
  containersCalls = 0;
  /** What stow.yaml says beside the hashes (deployment.environment, daemonBaseUrl), passed to onTarget. */
  targetExtras: { environment?: string; daemonBaseUrl?: string } = {};

  constructor(commits: Record<string, { deploymentHash: string; onDefaultBranch?: boolean }>, head: string) {
    for (const [commit, value] of Object.entries(commits)) {
      this.commits.set(commit, {
        deploymentHash: value.deploymentHash,
        onDefaultBranch: value.onDefaultBranch ?? true,
      });
    }
    this.head = head;
  }

  async reconcile(request: ReconcileRequest, log: ReconcileLog): Promise<ReconcileOutcome> {
    this.requests.push(request);
    this.logs.push(log);
    const revision = request.revision ?? this.head;
    const target = this.commits.get(revision);
    if (!target)
      return { kind: 'failed', step: 'resolve', terminal: true, reason: `unknown revision ${revision}` };
    const deploymentHash = target.deploymentHash;
    const plan = {
      git_revision: revision,
      deployment: 'web',
      manifest_hash: hash('m'),
      config_hash: hash('c'),
      secrets_hash: hash('s'),
      deployment_hash: deploymentHash,
      actions: [],
      jobs: [],
    };
    if (this.runningDeployment?.deploymentHash === deploymentHash) {
      await sleep(this.reconcileMs);
      this.quarantine.delete(deploymentHash);
      return { kind: 'converged', deploymentHash, gitRevision: revision, changed: false, plan };
    }
    request.onTarget?.({
      gitRevision: revision,
      deploymentHash,
      deploymentName: 'web',
      ...this.targetExtras,
    });
    await sleep(this.reconcileMs);
    const reason = this.failing.get(deploymentHash);
    const runs = this.jobRuns.get(deploymentHash);
    const jobs = runs ? { jobs: runs } : {};
    if (reason !== undefined) {
      this.quarantine.set(deploymentHash, reason);
      return {
        kind: 'rolledBack',
        failedDeploymentHash: deploymentHash,
        gitRevision: revision,
        step: 'verify',
        reason,
        restoredDeploymentHash: this.runningDeployment?.deploymentHash,
        plan,
        ...jobs,
      };
    }
    this.runningDeployment = { deploymentHash, gitRevision: revision, deploymentName: 'web' };
    this.quarantine.delete(deploymentHash);
    return { kind: 'converged', deploymentHash, gitRevision: revision, changed: true, plan, ...jobs };
  }

  /** Makes resolutions wait until the returned function is called (a slow archive download). */
  holdResolutions(): () => void {
    let release: () => void = () => {};
    this.#hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.#hold = undefined;
      release();
    };
  }

  async resolveDeployment(commit: string) {
    this.resolveDeploymentCalls++;
    this.resolving++;
    this.maxResolving = Math.max(this.maxResolving, this.resolving);
    try {
      await sleep(this.resolveMs);
      await this.#hold;
      if (this.resolveError) throw this.resolveError;
      const known = this.commits.get(commit);
      if (!known) throw new Error(`unknown commit ${commit}`);
      return { deploymentHash: known.deploymentHash };
    } finally {
      this.resolving--;
    }
  }

  async defaultBranchHead() {
    return { sha: this.head };
  }

  async resolveCommit(commit: string) {
    this.resolveCommitCalls++;
    if (this.commits.has(commit)) return commit;
    const matches = [...this.commits.keys()].filter((full) => full.startsWith(commit));
    return matches.length === 1 ? matches[0] : undefined;
  }

  async isOnDefaultBranch(commit: string) {
    return this.commits.get(commit)?.onDefaultBranch ?? false;
  }

  async running() {
    return this.runningDeployment;
  }

  async containers() {
    this.containersCalls++;
    await sleep(this.containersMs);
    if (this.engineContainers instanceof Error) throw this.engineContainers;
    return this.engineContainers;
  }

  async history(limit: number) {
    return this.historyEntries.slice(0, limit);
  }

  async historyLogs(id: string) {
    return this.forensics.get(id);
  }

  async failedDeployments() {
    return [...this.quarantine].map(([deploymentHash, reason]) => ({ deploymentHash, reason }));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Collects JSON log lines. */
export function captureLog() {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line), text: () => lines.join('') };
}
