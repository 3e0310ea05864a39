import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDockerEngine, readDockerConfigAuth } from '@stow/docker-planner';
import { createLocalGitSource } from '@stow/gitlab-client/local-git';
import type { DaemonConfig } from '@stow/manifest';
import { createQuarantine, createSnapshotStore } from '@stow/snapshot-store';
import Docker from 'dockerode';
import { openHistory } from './history-store.js';
import type { DeploymentSource } from './ports.js';
import { systemClock } from './ports.js';
import type { ReconcileContext } from './reconcile-context.js';
import type { ReconcileLog } from './reconcile-log.js';

export interface ContextOptions {
  readonly log: ReconcileLog;
  /** Overrides daemon.yaml's stateDir (`--state-dir`); default the home of the user running stow. */
  readonly stateDir?: string;
  /** Verification poll interval; tests shorten it. */
  readonly verifyPollMs?: number;
}

/** Wires a daemon.yaml into a real reconcile context: its source, the local engine, the state dir. */
export async function createReconcileContext(
  config: DaemonConfig,
  options: ContextOptions,
): Promise<ReconcileContext> {
  const store = createSnapshotStore(options.stateDir ?? config.stateDir ?? os.homedir());
  return {
    source: await sourceOf(config, store.layout.stowDir),
    secrets: { keysFile: config.keysFile, sopsBinary: config.sopsBinary },
    engine: createDockerEngine(dockerOf(config.dockerHost)),
    registryAuth: await readDockerConfigAuth(),
    verifyPollMs: options.verifyPollMs,
    store,
    quarantine: createQuarantine(store.layout.stateFile),
    history: openHistory(store.layout.stateDir, {
      onProblem: (problem) => options.log.log('warn', problem),
    }),
    clock: systemClock,
    log: options.log,
  };
}

async function sourceOf(config: DaemonConfig, stowDir: string): Promise<DeploymentSource> {
  const { source, subfolder } = config;
  if (source.kind === 'git') {
    return createLocalGitSource({
      repository: source.repository,
      branch: source.branch,
      subfolder,
      cacheDir: path.join(stowDir, 'git-mirror'),
    });
  }
  // The GitLab client (gitbeaker, undici) is loaded only for a GitLab source: a daemon reading a
  // local repository never needs it, and it is megabytes of the daemon's memory (docs/benchmarks.md).
  const { createGitlabClient, createGitlabSource } = await import('@stow/gitlab-client');
  const ca = process.env.STOW_CACERT ? await readFile(process.env.STOW_CACERT) : undefined;
  const client = createGitlabClient({ apiUrl: source.apiUrl, token: source.token.reveal(), ca });
  // Paced: GitLab allows 5 archive downloads a minute per user and project (daemon.yaml
  // archiveRequestsPerMinute); a commit waiting for its turn is pending, not failed.
  return createGitlabSource({
    client,
    project: source.project,
    subfolder,
    archivesPerMinute: source.archiveRequestsPerMinute,
  });
}

/** `dockerHost` (unix:///path or tcp://host:port), else the local socket. */
function dockerOf(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}
