// How reconcile time grows with the number of containers (1, 10, 30, 100) on the real engine:
// noop (median of 5, Engine API calls counted), replace (every container changes; verification
// window 0 s; median of 3), split by the reconcile log into prepare (fetch + hash + snapshot + plan),
// apply, and verify (one verification poll plus confirming the snapshot).
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { runReconcile } from '@stow/reconciler';
import {
  deploymentRepo,
  docker,
  engineContext,
  prepareEngineHost,
  removeLabelled,
  timedLog,
} from './lib/engine-deployment.mjs';
import { loadAverageLine, machineDescription, markdownTable, median } from './lib/measure.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '1,10,30,100').split(',').map(Number);
const NOOP_RUNS = 5;
const REPLACE_RUNS = Number(process.env.BENCH_RUNS ?? 3);

const image = prepareEngineHost();
const id = Date.now().toString(36);
const loadBefore = os.loadavg();
const rows = [];
for (const count of SIZES) {
  const name = `bench-scale-${count}-${id}`;
  const stow = deploymentRepo({ name, count, image });
  const state = mkdtempSync(path.join(tmpdir(), 'stow-bench-state-'));
  try {
    const { events, log } = timedLog();
    const { context, counts } = await engineContext(stow.repo, state, { verifyPollMs: 100, log });
    if ((await runReconcile(context, { trigger: 'manual' })).kind !== 'converged') {
      throw new Error('setup deploy failed');
    }
    const noop = [];
    let calls = '';
    for (let run = 0; run < NOOP_RUNS; run++) {
      counts.clear();
      const started = performance.now();
      const outcome = await runReconcile(context, { trigger: 'poll' });
      noop.push(performance.now() - started);
      if (outcome.kind !== 'converged' || outcome.changed) throw new Error(`not a noop: ${outcome.kind}`);
      calls = [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
    }
    const replace = [];
    for (let run = 0; run < REPLACE_RUNS; run++) {
      stow.commit(run + 2);
      events.length = 0;
      const started = performance.now();
      const outcome = await runReconcile(context, { trigger: 'manual' });
      const total = performance.now() - started;
      if (outcome.kind !== 'converged' || !outcome.changed)
        throw new Error(`replace failed: ${outcome.kind}`);
      const at = (message) => events.find((e) => e.message === message)?.at ?? Number.NaN;
      replace.push({
        total,
        prepare: at('applying') - started,
        apply: at('verifying') - at('applying'),
        verify: at('converged') - at('verifying'),
      });
    }
    const m = (key) => median(replace.map((r) => r[key])).toFixed(0);
    rows.push([count, median(noop).toFixed(0), calls, m('total'), m('prepare'), m('apply'), m('verify')]);
  } finally {
    await removeLabelled(`stow.deployment=${name}`).catch(() => {});
    rmSync(stow.repo, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

console.log(`scale (containers): noop median of ${NOOP_RUNS}, replace median of ${REPLACE_RUNS}`);
console.log(`machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}`);
console.log(loadAverageLine(loadBefore));
console.log(
  markdownTable(
    [
      'containers',
      'noop ms',
      'noop Engine API calls',
      'replace ms',
      'of which prepare',
      'apply',
      'verify + confirm',
    ],
    rows,
  ),
);
