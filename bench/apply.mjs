// Replacing N containers on the real engine: stow's reconcile against docker-compose 1.29
// `up -d --force-recreate` of the same N containers (same image, command, init, bind mount), rounds
// alternating in one run, medians. stow's verification window is 0 s, so its time is the whole
// reconcile beyond the window (fetch, hash, snapshot, plan, apply, one verification poll).
// Per container: downtime from the old container's `die` to the new one's `start` (engine events).
// Targets: 10 containers at most 0.6x compose's time, 30 containers at most 0.5x.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
import { machineDescription, markdownTable, median } from './lib/measure.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '10,30').split(',').map(Number);
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

/** A compose project of `count` services equivalent to the stow deployment's containers. */
function composeProject(project, count) {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-bench-compose-'));
  const services = Array.from(
    { length: count },
    (_, i) =>
      `  svc-${i}:\n    image: ${image}\n    command: [sleep, "3600"]\n    init: true\n    volumes: ["./app.conf:/etc/app.conf:ro"]\n`,
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

const summary = [];
const cleanups = [];
try {
  for (const count of SIZES) {
    const name = `bench-apply-${count}-${id}`;
    const project = `benchapply${count}${id}`;
    const stow = deploymentRepo({ name, count, image });
    const state = mkdtempSync(path.join(tmpdir(), 'stow-bench-state-'));
    const compose = composeProject(project, count);
    // Run in reverse: containers go before their directories.
    cleanups.push(
      () => rmSync(stow.repo, { recursive: true, force: true }),
      () => rmSync(state, { recursive: true, force: true }),
      () => rmSync(compose.dir, { recursive: true, force: true }),
      () => removeLabelled(`stow.deployment=${name}`),
      () => compose.compose('down', '-t', '1'),
    );
    const { events, log } = timedLog();
    const { context } = await engineContext(stow.repo, state, { verifyPollMs: 100, log });
    if ((await runReconcile(context, { trigger: 'manual' })).kind !== 'converged') {
      throw new Error('setup deploy failed');
    }
    compose.compose('up', '-d');

    const stowRounds = [];
    const composeRounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      stow.commit(round + 2);
      events.length = 0;
      let since = Date.now();
      let started = performance.now();
      const outcome = await runReconcile(context, { trigger: 'manual' });
      let ms = performance.now() - started;
      if (outcome.kind !== 'converged' || !outcome.changed) {
        throw new Error(`replace failed: ${JSON.stringify(outcome)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the events land
      const at = (message) => events.find((e) => e.message === message)?.at ?? Number.NaN;
      stowRounds.push({
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

      since = Date.now();
      started = performance.now();
      compose.compose('up', '-d', '--force-recreate');
      ms = performance.now() - started;
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
    }
    summary.push({ count, stowRounds, composeRounds });
    await runCleanups(cleanups.splice(0));
  }

  console.log(`apply benchmark: ${ROUNDS} alternating rounds per size, medians`);
  console.log(
    `machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}; docker-compose ${composeVersion}`,
  );
  console.log(
    `load average before: ${loadBefore.map((l) => l.toFixed(1)).join(' ')}; after: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  const stats = (rounds) => {
    const all = rounds.flatMap((r) => [...r.down.values()]);
    return { median: median(all), max: Math.max(...all), samples: all.length };
  };
  const rows = [];
  for (const { count, stowRounds, composeRounds } of summary) {
    const s = median(stowRounds.map((r) => r.ms));
    const c = median(composeRounds.map((r) => r.ms));
    const sd = stats(stowRounds);
    const phase = (i) => median(stowRounds.map((r) => r.phases[i])).toFixed(0);
    const cd = stats(composeRounds);
    rows.push([
      count,
      s.toFixed(0),
      c.toFixed(0),
      `${(s / c).toFixed(2)}x`,
      `<= ${TARGETS[count] ?? '-'}x`,
      `${sd.median.toFixed(0)} / ${sd.max.toFixed(0)}`,
      `${cd.median.toFixed(0)} / ${cd.max.toFixed(0)}`,
      `${phase(0)} / ${phase(1)} / ${phase(2)}`,
    ]);
  }
  console.log(
    markdownTable(
      [
        'containers',
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
  // Each container's downtime in the round whose time was the median, per size.
  for (const { count, stowRounds, composeRounds } of summary) {
    const pick = (rounds) => {
      const m = median(rounds.map((r) => r.ms));
      return rounds.reduce((best, r) => (Math.abs(r.ms - m) < Math.abs(best.ms - m) ? r : best));
    };
    const s = pick(stowRounds).down;
    const c = pick(composeRounds).down;
    console.log(`\nper-container downtime, ${count} containers (median round), ms:`);
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
