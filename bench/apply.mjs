// Replacing N containers on the real engine: stow's reconcile against docker-compose 1.29
// `up -d --force-recreate` of the same N containers (same image, command, init, bind mount), rounds
// alternating in one run, medians. stow's verification window is 0 s, so its time is the whole
// reconcile beyond the window (fetch, hash, snapshot, plan, apply, one verification poll).
// Per container: downtime from the old container's `die` to the new one's `start` (engine events).
// Targets: 10 containers at most 0.6x compose's time, 30 containers at most 0.5x.
// BENCH_CONCURRENCY=4,8,16 runs stow at each apply bound in every round (same load for each).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_APPLY_CONCURRENCY } from '@stow/docker-planner';
import { runReconcile } from '@stow/reconciler';
import {
  deploymentRepo,
  docker,
  downtimes,
  engineContext,
  prepareEngineHost,
  removeLabelled,
  timedLog,
} from './lib/engine-deployment.mjs';
import { loadAverageLine, machineDescription, markdownTable, median } from './lib/measure.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '10,30').split(',').map(Number);
// Apply bounds to compare, each run in every round (default: the product's own).
const BOUNDS = (process.env.BENCH_CONCURRENCY ?? String(DEFAULT_APPLY_CONCURRENCY)).split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGETS = { 10: 0.6, 30: 0.5 };

if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    'apply bench: docker-compose 1.29 (the baseline) is missing; install it with `apt-get install -y docker-compose`',
  );
  process.exit(2);
}
const composeVersion = execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim();
const image = prepareEngineHost();
const id = Date.now().toString(36);
const loadBefore = (await import('node:os')).loadavg();

/**
 * A compose project of `count` services equivalent to the stow deployment's containers, on the default
 * bridge like them (a project network would cost compose its embedded DNS per container, and Docker
 * 20.10 kept stale endpoints on it after the parallel recreates, so `down` could not remove it).
 */
function composeProject(project, count) {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-bench-compose-'));
  const services = Array.from(
    { length: count },
    (_, i) =>
      `  svc-${i}:\n    image: ${image}\n    command: [sleep, "3600"]\n    init: true\n    network_mode: bridge\n    volumes: ["./app.conf:/etc/app.conf:ro"]\n`,
  ).join('');
  writeFileSync(path.join(dir, 'docker-compose.yml'), `version: "2.4"\nservices:\n${services}`);
  writeFileSync(path.join(dir, 'app.conf'), 'revision=1\n');
  const compose = (...args) =>
    execFileSync('docker-compose', ['-p', project, ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  return { dir, compose };
}

/**
 * The engine's own floor: the same `count` replacements as bare Engine API calls (stop, remove,
 * create, start per container, every container at once), without stow's fetch, hash, snapshot, plan
 * or verification and without compose's Python. Containers `<name>-<i>`, labelled `bench.floor`.
 */
function bareEngine(name, count, bindSource) {
  const body = (i, revision) => ({
    name: `${name}-${i}`,
    Image: image,
    Cmd: ['sleep', '3600'],
    Labels: { 'bench.floor': name, 'bench.container': String(i), 'bench.revision': String(revision) },
    HostConfig: { Init: true, Binds: [`${bindSource}:/etc/app.conf:ro`] },
  });
  const ids = [];
  const createAndStart = async (i, revision) => {
    const container = await docker.createContainer(body(i, revision));
    await container.start();
    ids[i] = container.id;
  };
  const all = (run) => Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  return {
    deploy: () => all((i) => createAndStart(i, 1)),
    replace: (revision) =>
      all(async (i) => {
        const old = docker.getContainer(ids[i]);
        await old.stop({ t: 10 });
        await old.remove({ force: true });
        await createAndStart(i, revision);
      }),
  };
}

const summary = [];
const cleanups = [];
try {
  for (const count of SIZES) {
    const name = `bench-apply-${count}-${id}`;
    const project = `benchapply${count}${id}`;
    const stow = deploymentRepo({ name, count, image });
    const state = mkdtempSync(path.join(tmpdir(), 'stow-bench-state-'));
    const compose = composeProject(project, count);
    const floorName = `bench-floor-${count}-${id}`;
    const floor = bareEngine(floorName, count, path.join(compose.dir, 'app.conf'));
    // Run in reverse: containers go before their directories.
    cleanups.push(
      () => rmSync(stow.repo, { recursive: true, force: true }),
      () => rmSync(state, { recursive: true, force: true }),
      () => rmSync(compose.dir, { recursive: true, force: true }),
      () => removeLabelled(`stow.deployment=${name}`),
      () => removeLabelled(`bench.floor=${floorName}`),
      () => compose.compose('down', '-t', '1'),
    );
    const { events, log } = timedLog();
    const { context } = await engineContext(stow.repo, state, { verifyPollMs: 100, log });
    if ((await runReconcile(context, { trigger: 'manual' })).kind !== 'converged') {
      throw new Error('setup deploy failed');
    }
    compose.compose('up', '-d');
    await floor.deploy();

    const stowRounds = new Map(BOUNDS.map((bound) => [bound, []]));
    const composeRounds = [];
    const floorRounds = [];
    let revision = 2;
    for (let round = 0; round < ROUNDS; round++) {
      for (const bound of BOUNDS) {
        stow.commit(revision++);
        events.length = 0;
        const since = Date.now();
        const started = performance.now();
        const outcome = await runReconcile({ ...context, applyConcurrency: bound }, { trigger: 'manual' });
        const ms = performance.now() - started;
        if (outcome.kind !== 'converged' || !outcome.changed) {
          throw new Error(`replace failed: ${JSON.stringify(outcome)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 300)); // let the events land
        const at = (message) => events.find((e) => e.message === message)?.at ?? Number.NaN;
        stowRounds.get(bound).push({
          ms,
          // Where stow's time goes: fetch + hash + snapshot + plan, apply, verification poll.
          phases: [
            at('applying') - started,
            at('verifying') - at('applying'),
            at('converged') - at('verifying'),
          ],
          down: downtimes({
            sinceMs: since,
            untilMs: Date.now(),
            label: `stow.deployment=${name}`,
            keyLabel: 'stow.container',
          }),
        });
      }

      const since = Date.now();
      const started = performance.now();
      compose.compose('up', '-d', '--force-recreate');
      const ms = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 300));
      composeRounds.push({
        ms,
        down: downtimes({
          sinceMs: since,
          untilMs: Date.now(),
          label: `com.docker.compose.project=${project}`,
          keyLabel: 'com.docker.compose.service',
        }),
      });

      const floorSince = Date.now();
      const floorStarted = performance.now();
      await floor.replace(revision++);
      const floorMs = performance.now() - floorStarted;
      await new Promise((resolve) => setTimeout(resolve, 300));
      floorRounds.push({
        ms: floorMs,
        down: downtimes({
          sinceMs: floorSince,
          untilMs: Date.now(),
          label: `bench.floor=${floorName}`,
          keyLabel: 'bench.container',
        }),
      });
    }
    summary.push({ count, stowRounds, composeRounds, floorRounds });
    await runCleanups(cleanups.splice(0));
  }

  console.log(`apply benchmark: ${ROUNDS} alternating rounds per size, medians`);
  console.log(
    `machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}; docker-compose ${composeVersion}`,
  );
  console.log(loadAverageLine(loadBefore));
  const stats = (rounds) => {
    const all = rounds.flatMap((r) => [...r.down.values()]);
    return { median: median(all), max: Math.max(...all), samples: all.length };
  };
  const rows = [];
  for (const { count, stowRounds, composeRounds } of summary) {
    const c = median(composeRounds.map((r) => r.ms));
    const cd = stats(composeRounds);
    for (const [bound, rounds] of stowRounds) {
      const s = median(rounds.map((r) => r.ms));
      const sd = stats(rounds);
      const phase = (i) => median(rounds.map((r) => r.phases[i])).toFixed(0);
      rows.push([
        count,
        bound,
        s.toFixed(0),
        c.toFixed(0),
        `${(s / c).toFixed(2)}x`,
        `<= ${TARGETS[count] ?? '-'}x`,
        `${sd.median.toFixed(0)} / ${sd.max.toFixed(0)}`,
        `${cd.median.toFixed(0)} / ${cd.max.toFixed(0)}`,
        `${phase(0)} / ${phase(1)} / ${phase(2)}`,
      ]);
    }
  }
  console.log(
    markdownTable(
      [
        'containers',
        'apply bound',
        'stow ms',
        'compose ms',
        'stow / compose',
        'target',
        'stow downtime median / max ms',
        'compose downtime median / max ms',
        'stow prepare / apply / verify ms',
      ],
      rows,
    ),
  );
  console.log(
    '\nthe engine floor: the same replacements as bare Engine API calls, every container at once\n',
  );
  console.log(
    markdownTable(
      [
        'containers',
        'floor ms',
        'floor downtime median / max ms',
        'compose / floor',
        ...BOUNDS.map((b) => `stow (bound ${b}) / floor`),
      ],
      summary.map(({ count, stowRounds, composeRounds, floorRounds }) => {
        const f = median(floorRounds.map((r) => r.ms));
        const fd = stats(floorRounds);
        const ratio = (rounds) => `${(median(rounds.map((r) => r.ms)) / f).toFixed(2)}x`;
        return [
          count,
          f.toFixed(0),
          `${fd.median.toFixed(0)} / ${fd.max.toFixed(0)}`,
          ratio(composeRounds),
          ...[...stowRounds.values()].map(ratio),
        ];
      }),
    ),
  );
  console.log('\nevery round, ms (stow per bound; compose; floor):');
  for (const { count, stowRounds, composeRounds, floorRounds } of summary) {
    const list = (rounds) => rounds.map((r) => r.ms.toFixed(0)).join(', ');
    for (const [bound, rounds] of stowRounds)
      console.log(`${count} containers, stow bound ${bound}: ${list(rounds)}`);
    console.log(`${count} containers, compose: ${list(composeRounds)}`);
    console.log(`${count} containers, floor: ${list(floorRounds)}`);
  }
  // Each container's downtime in the round whose time was the median, per size (first bound).
  for (const { count, stowRounds, composeRounds } of summary) {
    const pick = (rounds) => {
      const m = median(rounds.map((r) => r.ms));
      return rounds.reduce((best, r) => (Math.abs(r.ms - m) < Math.abs(best.ms - m) ? r : best));
    };
    const [bound, rounds] = [...stowRounds][0];
    const s = pick(rounds).down;
    const c = pick(composeRounds).down;
    console.log(`\nper-container downtime, ${count} containers (median round; stow bound ${bound}), ms:`);
    console.log(
      markdownTable(
        ['#', 'stow', 'compose'],
        Array.from({ length: count }, (_, i) => [
          i,
          s.get(`bench-apply-${count}-${id}-${i}`)?.toFixed(0) ?? '?',
          c.get(`svc-${i}`)?.toFixed(0) ?? '?',
        ]),
      ),
    );
  }
} finally {
  await runCleanups(cleanups);
}

/** Runs cleanups last first; one failing (Docker 20.10 sometimes finds a network still busy) stops none. */
async function runCleanups(list) {
  for (const cleanup of list.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`cleanup: ${error.message.split('\n')[0]}`);
    }
  }
}
