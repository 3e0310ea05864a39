// Start-up of stow, side by side in one run: `node -e 0` against the single-file `dist/stow --version`
// and the workspace `stow --version` (node_modules/.bin/stow, the bin shim `pnpm exec stow` runs: node
// plus apps/stow/dist/cli.js); then `stow hash` of a generated 100 MB tree in 500 files through
// each, against the floor `find | sort | xargs cat | openssl dgst -sha256`. Every round runs each
// contender once, in turn, so load on the machine falls on all of them alike; medians are reported.
// Targets (issue 16): dist/stow --version <= 2x node -e 0; dist/stow hash >= 0.8x the floor's
// throughput; the workspace stow not 3x slower than dist/stow.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDeploymentTree } from './lib/deployment-tree.mjs';
import { machineDescription, markdownTable, median, timeCommand } from './lib/measure.mjs';

const FILES = Number(process.env.BENCH_FILES ?? 500);
const TOTAL_BYTES = Number(process.env.BENCH_BYTES ?? 100 * 1000 * 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const binary = fileURLToPath(new URL('../dist/stow', import.meta.url));
const workspace = fileURLToPath(new URL('../node_modules/.bin/stow', import.meta.url));
for (const file of [binary, workspace]) {
  if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm build first`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'stow-bench-startup-'));
try {
  const bytes = writeDeploymentTree(dir, { files: FILES, totalBytes: TOTAL_BYTES, directories: 20 });
  const floor = 'find . -type f -print0 | sort -z | xargs -0 cat | openssl dgst -sha256';
  const contenders = {
    node: ['node -e 0', process.execPath, ['-e', '0']],
    binaryVersion: ['dist/stow --version', binary, ['--version']],
    workspaceVersion: ['workspace stow --version', workspace, ['--version']],
    floor: [`floor: ${floor}`, 'sh', ['-c', floor], { cwd: dir }],
    binaryHash: ['dist/stow hash', binary, ['hash', dir]],
    workspaceHash: ['workspace stow hash', workspace, ['hash', dir]],
  };
  const loadBefore = os.loadavg()[0];
  // Warm the page cache and every executable once, then interleave the rounds.
  for (const [, command, args, options] of Object.values(contenders))
    await timeCommand(command, args, options);
  const ms = Object.fromEntries(Object.keys(contenders).map((key) => [key, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [key, [, command, args, options]] of Object.entries(contenders)) {
      ms[key].push((await timeCommand(command, args, options)).ms);
    }
  }
  const loadAfter = os.loadavg()[0];
  const med = Object.fromEntries(Object.entries(ms).map(([key, values]) => [key, median(values)]));
  const mb = bytes / 1e6;
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  const row = (key, compared) => [contenders[key][0], med[key].toFixed(0), ...compared];
  console.log(
    `stow start-up benchmark: median of ${RUNS} interleaved rounds; hash tree ${FILES} files, ${mb.toFixed(0)} MB, warm page cache`,
  );
  console.log(`machine: ${machineDescription()}`);
  console.log(
    `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${os.cpus().length} cores\n`,
  );
  console.log(
    markdownTable(
      ['command', 'median ms', 'vs node -e 0', 'vs dist/stow'],
      [
        row('node', ['1.00x', '']),
        row('binaryVersion', [ratio(med.binaryVersion, med.node), '1.00x']),
        row('workspaceVersion', [
          ratio(med.workspaceVersion, med.node),
          ratio(med.workspaceVersion, med.binaryVersion),
        ]),
      ],
    ),
  );
  const throughput = (key) => (mb / (med[key] / 1000)).toFixed(0);
  console.log(
    `\n${markdownTable(
      ['hash', 'median ms', 'MB/s', 'throughput vs floor', 'vs dist/stow'],
      [
        row('floor', [throughput('floor'), '1.00x', '']),
        row('binaryHash', [throughput('binaryHash'), ratio(med.floor, med.binaryHash), '1.00x']),
        row('workspaceHash', [
          throughput('workspaceHash'),
          ratio(med.floor, med.workspaceHash),
          ratio(med.workspaceHash, med.binaryHash),
        ]),
      ],
    )}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
