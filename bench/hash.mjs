// `stow hash` on a generated tree (2,000 files, 200 MB) against the floor of reading and hashing the
// same bytes with OpenSSL (`find | sort | xargs cat | openssl dgst -sha256`) and against sha256sum,
// all in the same run. Target: stow >= 0.8x the floor's throughput, peak RSS < 100 MB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDeploymentTree } from './lib/deployment-tree.mjs';
import { machineDescription, markdownTable, median, REPORT_RSS, timeCommand } from './lib/measure.mjs';

const FILES = Number(process.env.BENCH_FILES ?? 2000);
const TOTAL_BYTES = Number(process.env.BENCH_BYTES ?? 200 * 1000 * 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const cli = fileURLToPath(new URL('../apps/stow/dist/cli.js', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'stow-bench-hash-'));
try {
  const bytes = writeDeploymentTree(dir, { files: FILES, totalBytes: TOTAL_BYTES, directories: 40 });
  const shell = (script) => ['sh', ['-c', script], { cwd: dir }];
  const contenders = [
    ['stow hash', process.execPath, ['--import', REPORT_RSS, cli, 'hash', '--json', dir]],
    [
      'floor: find | sort | xargs cat | openssl dgst -sha256',
      ...shell('find . -type f -print0 | sort -z | xargs -0 cat | openssl dgst -sha256'),
    ],
    ['sha256sum over the same files', ...shell('find . -type f -print0 | sort -z | xargs -0 sha256sum')],
  ];
  // Warm the page cache once so every contender reads from memory, then interleave the runs.
  await timeCommand(...contenders[1].slice(1));
  const results = new Map(contenders.map(([name]) => [name, { ms: [], rss: [] }]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, command, args, options] of contenders) {
      const { ms, peakRssMiB } = await timeCommand(command, args, options);
      results.get(name).ms.push(ms);
      if (peakRssMiB !== undefined) results.get(name).rss.push(peakRssMiB);
    }
  }
  const mb = bytes / 1e6;
  const floorMs = median(results.get(contenders[1][0]).ms);
  const rows = [...results].map(([name, { ms, rss }]) => {
    const med = median(ms);
    return [
      name,
      med.toFixed(0),
      (mb / (med / 1000)).toFixed(0),
      (floorMs / med).toFixed(2),
      rss.length ? Math.max(...rss).toFixed(0) : '–',
    ];
  });
  console.log(
    `stow hash benchmark: ${FILES} files, ${mb.toFixed(0)} MB, median of ${RUNS} runs, warm page cache`,
  );
  console.log(`machine: ${machineDescription()}\n`);
  console.log(markdownTable(['contender', 'median ms', 'MB/s', 'throughput vs floor', 'peak RSS MiB'], rows));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
