// Shared by the real-engine benchmarks: a git repository holding a generated deployment of N busybox
// containers, a reconcile context on the real engine with every Engine API call counted, container
// downtimes from the engine's event log, and cleanup.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDockerEngine, readDockerConfigAuth } from '@stow/docker-planner';
import { createLocalGitSource } from '@stow/gitlab-client';
import { newReconcileId, openHistory, silentLog, systemClock } from '@stow/reconciler';
import { createQuarantine, createSnapshotStore } from '@stow/snapshot-store';
import Docker from 'dockerode';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Registry and test images in place (ci/setup-test-host); returns the pinned busybox reference. */
export function prepareEngineHost() {
  execFileSync(new URL('../../ci/setup-test-host', import.meta.url).pathname, {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return JSON.parse(readFileSync('/var/lib/stow-test/images.json', 'utf8')).images.busybox.pinned;
}

/** Counts every call stow makes through its Engine edge. */
export function countingEngine(engine) {
  const counts = new Map();
  const proxy = new Proxy(engine, {
    get(target, key) {
      const value = target[key];
      if (typeof value !== 'function') return value;
      return (...args) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { engine: proxy, counts };
}

/**
 * A git repository whose `host/stow.yaml` declares `count` containers `<name>-<i>` (busybox sleeping,
 * under init, one read-only bind mount). `commit(revision, { failing })` writes a new revision (every
 * container changes through app.conf); `failing` containers exit at once instead.
 */
export function deploymentRepo({ name, count, image, stableSeconds = 0, timeoutSeconds = 60 }) {
  const repo = mkdtempSync(path.join(tmpdir(), 'stow-bench-repo-'));
  const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@stow.invalid');
  git('config', 'user.name', 'bench');
  const commit = (revision, { failing = false } = {}) => {
    const command = failing ? '[sh, -c, "exit 3"]' : '[sleep, "3600"]';
    const containers = Array.from(
      { length: count },
      (_, i) =>
        `  ${name}-${i}:\n    image: ${image}\n    command: ${command}\n    init: true\n    mounts: [{ source: app.conf, target: /etc/app.conf, readOnly: true }]\n`,
    ).join('');
    mkdirSync(path.join(repo, 'host'), { recursive: true });
    writeFileSync(
      path.join(repo, 'host/stow.yaml'),
      `deployment:\n  name: ${name}\n  verify: { stableSeconds: ${stableSeconds}, timeoutSeconds: ${timeoutSeconds} }\ncontainers:\n${containers}`,
    );
    writeFileSync(path.join(repo, 'host/app.conf'), `revision=${revision}\n`);
    git('add', '-A');
    git('commit', '-q', '-m', `rev ${revision}`);
  };
  commit(1);
  return { repo, commit };
}

/**
 * A reconcile context on the real engine for `repo` (state in `stateDir`), its engine calls counted.
 * `verifyPollMs` undefined: the product's default poll.
 */
export async function engineContext(repo, stateDir, { verifyPollMs, log = silentLog() } = {}) {
  const counted = countingEngine(createDockerEngine(docker));
  const store = createSnapshotStore(stateDir);
  return {
    counts: counted.counts,
    context: {
      source: createLocalGitSource({ repository: repo, branch: 'main', subfolder: 'host' }),
      secrets: { keysFile: undefined, sopsBinary: undefined },
      engine: counted.engine,
      registryAuth: await readDockerConfigAuth(),
      ...(verifyPollMs === undefined ? {} : { verifyPollMs }),
      store,
      quarantine: createQuarantine(store.layout.stateFile),
      // Recorded like every product reconcile: its write is part of what a reconcile costs.
      history: openHistory(stateDir),
      clock: systemClock,
      log,
    },
  };
}

/** A reconcile log that keeps each message with its time (performance.now()). */
export function timedLog() {
  const events = [];
  return {
    events,
    log: {
      // A real id: the history names its files by it.
      reconcileId: newReconcileId(),
      log: (level, message, fields) => events.push({ at: performance.now(), level, message, fields }),
    },
  };
}

export async function removeLabelled(label) {
  for (const c of await docker.listContainers({ all: true, filters: { label: [label] } })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
}

/**
 * Per-container downtime from the engine's event log between two wall-clock times (ms since epoch):
 * from the old container's `die` to the new one's `start`, keyed by `keyLabel` (the container's
 * name in its deployment). Returns a Map name -> ms.
 */
export function downtimes({ sinceMs, untilMs, label, keyLabel }) {
  const output = execFileSync(
    'docker',
    [
      'events',
      '--since',
      (sinceMs / 1000).toFixed(3),
      '--until',
      (untilMs / 1000).toFixed(3),
      '--filter',
      'type=container',
      '--filter',
      `label=${label}`,
      '--format',
      '{{json .}}',
    ],
    { encoding: 'utf8' },
  );
  const died = new Map();
  const result = new Map();
  for (const line of output.split('\n').filter(Boolean)) {
    const event = JSON.parse(line);
    const key = event.Actor?.Attributes?.[keyLabel];
    if (key === undefined) continue;
    const at = event.timeNano / 1e6;
    if (event.Action === 'die' && !died.has(key)) died.set(key, at);
    if (event.Action === 'start' && died.has(key)) result.set(key, at - died.get(key));
  }
  return result;
}
