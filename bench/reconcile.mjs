// Reconcile on the real engine.
// (a) noop reconcile of a 30-container deployment: median wall time and Engine API calls
//     (target under 300 ms; one container list plus at most one inspect per container);
// (b) replacing 10 containers: stow's reconcile (verification window 0 s, so the time is all apply)
//     against a shell loop of `docker rm -f` + `docker run -d` for the same containers, same run.
//     Target: at most 1.5x the loop.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDockerEngine, readDockerConfigAuth } from '@stow/docker-planner';
import { createLocalGitSource } from '@stow/gitlab-client';
import { runReconcile, silentLog, systemClock } from '@stow/reconciler';
import { createQuarantine, createSnapshotStore } from '@stow/snapshot-store';
import Docker from 'dockerode';
import { machineDescription, markdownTable, median } from './lib/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
execFileSync(new URL('../ci/setup-test-host', import.meta.url).pathname, {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const images = JSON.parse(readFileSync('/var/lib/stow-test/images.json', 'utf8')).images;
const busybox = images.busybox.pinned;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const id = Date.now().toString(36);

/** Counts every call stow makes through its Engine edge. */
function countingEngine(engine) {
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

function deploymentRepo(name, count, revision) {
  const repo = mkdtempSync(path.join(tmpdir(), 'stow-bench-repo-'));
  const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'bench@stow.invalid');
  git('config', 'user.name', 'bench');
  const commit = (rev) => {
    const containers = Array.from(
      { length: count },
      (_, i) =>
        `  ${name}-${i}:\n    image: ${busybox}\n    command: [sleep, "3600"]\n    init: true\n    mounts: [{ source: app.conf, target: /etc/app.conf, readOnly: true }]\n`,
    ).join('');
    mkdirSync(path.join(repo, 'host'), { recursive: true });
    writeFileSync(
      path.join(repo, 'host/stow.yaml'),
      `deployment:\n  name: ${name}\n  verify: { stableSeconds: 0, timeoutSeconds: 30 }\ncontainers:\n${containers}`,
    );
    writeFileSync(path.join(repo, 'host/app.conf'), `revision=${rev}\n`);
    git('add', '-A');
    git('commit', '-q', '-m', `rev ${rev}`);
  };
  commit(revision);
  return { repo, commit };
}

async function contextFor(repo, stateDir) {
  const counted = countingEngine(createDockerEngine(docker));
  const store = createSnapshotStore(stateDir);
  const log = silentLog();
  return {
    counts: counted.counts,
    context: {
      source: createLocalGitSource({ repository: repo, branch: 'main', subfolder: 'host' }),
      secrets: { keysFile: undefined, sopsBinary: undefined },
      engine: counted.engine,
      registryAuth: await readDockerConfigAuth(),
      verifyPollMs: 100,
      store,
      quarantine: createQuarantine(store.layout.stateFile),
      clock: systemClock,
      log,
    },
  };
}

async function removeLabelled(name) {
  for (const c of await docker.listContainers({
    all: true,
    filters: { label: [`stow.deployment=${name}`] },
  })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
}

const cleanups = [];
try {
  // (a) noop of 30 containers
  const noopName = `bench-noop-${id}`;
  const noop = deploymentRepo(noopName, 30, 1);
  const noopState = mkdtempSync(path.join(tmpdir(), 'stow-bench-state-'));
  cleanups.push(
    () => removeLabelled(noopName),
    () => rmSync(noop.repo, { recursive: true, force: true }),
    () => rmSync(noopState, { recursive: true, force: true }),
  );
  const a = await contextFor(noop.repo, noopState);
  const first = await runReconcile(a.context, { trigger: 'manual' });
  if (first.kind !== 'converged') throw new Error(`setup deploy failed: ${JSON.stringify(first)}`);
  const noopTimes = [];
  let calls = {};
  for (let run = 0; run < RUNS; run++) {
    a.counts.clear();
    const started = performance.now();
    const outcome = await runReconcile(a.context, { trigger: 'poll' });
    noopTimes.push(performance.now() - started);
    if (outcome.kind !== 'converged' || outcome.changed) throw new Error(`not a noop: ${outcome.kind}`);
    calls = Object.fromEntries(a.counts);
  }
  await removeLabelled(noopName);

  // (b) replace 10 containers: stow vs docker rm -f + docker run -d
  const replaceName = `bench-replace-${id}`;
  const replace = deploymentRepo(replaceName, 10, 1);
  const replaceState = mkdtempSync(path.join(tmpdir(), 'stow-bench-state-'));
  cleanups.push(
    () => removeLabelled(replaceName),
    () => rmSync(replace.repo, { recursive: true, force: true }),
    () => rmSync(replaceState, { recursive: true, force: true }),
  );
  const b = await contextFor(replace.repo, replaceState);
  if ((await runReconcile(b.context, { trigger: 'manual' })).kind !== 'converged')
    throw new Error('setup deploy failed');
  const loopNames = Array.from({ length: 10 }, (_, i) => `bench-loop-${id}-${i}`);
  cleanups.push(() => execFileSync('docker', ['rm', '-f', ...loopNames], { stdio: 'ignore' }));
  const loop = () => {
    for (const name of loopNames) {
      execFileSync('sh', [
        '-c',
        `docker rm -f ${name} >/dev/null 2>&1; docker run -d --name ${name} --init --label bench=${id} ${busybox} sleep 3600 >/dev/null`,
      ]);
    }
  };
  loop();
  const stowTimes = [];
  const loopTimes = [];
  for (let run = 0; run < Math.min(RUNS, 5); run++) {
    replace.commit(run + 2);
    let started = performance.now();
    const outcome = await runReconcile(b.context, { trigger: 'manual' });
    stowTimes.push(performance.now() - started);
    if (outcome.kind !== 'converged' || !outcome.changed)
      throw new Error(`replace failed: ${JSON.stringify(outcome)}`);
    started = performance.now();
    loop();
    loopTimes.push(performance.now() - started);
  }

  const perContainer = (calls.inspectContainer ?? 0) / 30;
  console.log(`reconcile benchmark, median of ${RUNS} noop runs and ${stowTimes.length} replace runs`);
  console.log(`machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}\n`);
  console.log(
    markdownTable(
      ['measurement', 'median ms', 'Engine API calls', 'target'],
      [
        [
          '(a) noop reconcile, 30 containers',
          median(noopTimes).toFixed(0),
          Object.entries(calls)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
          '< 300 ms; 1 list + <= 1 inspect/container',
        ],
        ['(b) stow reconcile replacing 10 containers', median(stowTimes).toFixed(0), '', '<= 1.5x the loop'],
        ['(b) baseline: docker rm -f + docker run -d, 10 containers', median(loopTimes).toFixed(0), '', ''],
      ],
    ),
  );
  console.log(
    `\n(b) ratio stow / loop: ${(median(stowTimes) / median(loopTimes)).toFixed(2)}x; inspects per container in (a): ${perContainer.toFixed(2)}`,
  );
} finally {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch {}
  }
}
