// Rollback on the real engine: a 10-container deployment verified, then a revision whose containers
// exit at once. Measured: from the failed verification ("deployment failed" in the reconcile log) to
// the previous deployment verified again ("deployment verified"), which includes the full stable
// window of the previous deployment. The product's default verification poll is used.
// Target: at most stableSeconds + 2 s.
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

const COUNT = Number(process.env.BENCH_CONTAINERS ?? 10);
const STABLE_SECONDS = Number(process.env.BENCH_STABLE_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const image = prepareEngineHost();
const loadBefore = os.loadavg();
const name = `bench-rollback-${Date.now().toString(36)}`;
const stow = deploymentRepo({ name, count: COUNT, image, stableSeconds: STABLE_SECONDS, timeoutSeconds: 30 });
const state = mkdtempSync(path.join(tmpdir(), 'stow-bench-state-'));
try {
  const { events, log } = timedLog();
  const { context } = await engineContext(stow.repo, state, { log });
  if ((await runReconcile(context, { trigger: 'manual' })).kind !== 'converged') {
    throw new Error('setup deploy failed');
  }
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    stow.commit(round + 2, { failing: true });
    events.length = 0;
    const outcome = await runReconcile(context, { trigger: 'manual' });
    if (outcome.kind !== 'rolledBack') throw new Error(`expected a rollback: ${JSON.stringify(outcome)}`);
    const failed = events.find((e) => e.message === 'deployment failed');
    const verified = events.find((e) => e.message === 'deployment verified' && e.at > (failed?.at ?? 0));
    if (!failed || !verified) throw new Error('rollback events missing from the reconcile log');
    const applied = events.find((e) => e.message === 'verifying' && e.at > failed.at);
    rounds.push({ total: verified.at - failed.at, apply: (applied?.at ?? failed.at) - failed.at });
  }

  console.log(
    `rollback benchmark: ${COUNT} containers, stableSeconds ${STABLE_SECONDS}, median of ${ROUNDS}`,
  );
  console.log(`machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}`);
  console.log(loadAverageLine(loadBefore));
  const total = median(rounds.map((r) => r.total));
  console.log(
    markdownTable(
      ['measurement', 'median ms', 'rounds ms', 'target'],
      [
        [
          'failed verification -> previous deployment verified',
          total.toFixed(0),
          rounds.map((r) => r.total.toFixed(0)).join(', '),
          `<= ${STABLE_SECONDS * 1000 + 2000} (stableSeconds + 2 s)`,
        ],
        [
          'of which rollback plan + apply (until verifying starts)',
          median(rounds.map((r) => r.apply)).toFixed(0),
          rounds.map((r) => r.apply.toFixed(0)).join(', '),
          '',
        ],
      ],
    ),
  );
  console.log(`\nbeyond the stable window: ${(total - STABLE_SECONDS * 1000).toFixed(0)} ms`);
} finally {
  await removeLabelled(`stow.deployment=${name}`).catch(() => {});
  rmSync(stow.repo, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
}
