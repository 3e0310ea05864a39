// Reconcile on the real engine.
// (a) noop reconcile of a 100-container deployment: median wall time and Engine API calls
//     (target under 150 ms and one container list call);
// (b) replacing 10 containers: stow's reconcile (verification window 0 s, so the time is all apply)
//     against a shell loop of `docker rm -f` + `docker run -d` for the same containers, same run.
//     Target: at most 1.5x the loop.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runReconcile } from '@stow/reconciler';
import {
  deploymentRepo,
  docker,
  engineContext,
  prepareEngineHost,
  removeLabelled as removeByLabel,
} from './lib/engine-deployment.mjs';
import { machineDescription, markdownTable, median } from './lib/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const NOOP_CONTAINERS = 100;
const busybox = prepareEngineHost();
const id = Date.now().toString(36);
const removeLabelled = (name) => removeByLabel(`stow.deployment=${name}`);
const contextFor = (repo, stateDir) => engineContext(repo, stateDir, { verifyPollMs: 100 });

const cleanups = [];
try {
  // (a) noop of NOOP_CONTAINERS containers
  const noopName = `bench-noop-${id}`;
  const noop = deploymentRepo({ name: noopName, count: NOOP_CONTAINERS, image: busybox });
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
  const replace = deploymentRepo({ name: replaceName, count: 10, image: busybox });
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

  const perContainer = (calls.inspectContainer ?? 0) / NOOP_CONTAINERS;
  console.log(`reconcile benchmark, median of ${RUNS} noop runs and ${stowTimes.length} replace runs`);
  console.log(`machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}\n`);
  console.log(
    markdownTable(
      ['measurement', 'median ms', 'Engine API calls', 'target'],
      [
        [
          `(a) noop reconcile, ${NOOP_CONTAINERS} containers`,
          median(noopTimes).toFixed(0),
          Object.entries(calls)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
          '< 150 ms; 1 list call',
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
