// Download + safe extraction of one ~100 MB subfolder archive from fake-gitlab: stow's client
// (@stow/gitlab-client: gitbeaker stream -> gunzip -> tar-stream -> files) against
// `curl -s -H 'PRIVATE-TOKEN: ..' URL | tar xz -C dir` on the same archive URL, in the same run.
// Targets: stow within 1.5x of curl | tar wall time, stow peak RSS < 150 MB.
// The fake caches the generated archive (as GitLab does), so both contenders measure the client side.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineDescription, markdownTable, median, REPORT_RSS, timeCommand } from './lib/measure.mjs';

const TOKEN = 'glpat-bench-token';
const SUBFOLDER = 'deploy-host.example.com';

if (process.argv[2] === '--import-only') {
  await import('@stow/gitlab-client');
  process.exit(0);
}
if (process.argv[2] === '--child') {
  // The measured stow side: one download + extraction in its own process.
  const [apiUrl, sha, dest] = process.argv.slice(3);
  const { createGitlabClient, extractSubfolderArchive } = await import('@stow/gitlab-client');
  const client = createGitlabClient({ apiUrl, token: TOKEN });
  const stream = await client.downloadArchive('ops/deployments', { sha, path: SUBFOLDER });
  await extractSubfolderArchive(stream, { stagingDir: dest, subfolder: SUBFOLDER });
  await client.close();
  process.exit(0);
}

const FILES = Number(process.env.BENCH_FILES ?? 100);
const TOTAL_BYTES = Number(process.env.BENCH_BYTES ?? 100 * 1000 * 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--serve') {
  // The server side in its own process, so that the measured children do not inherit its memory
  // (a forked child starts with its parent's peak RSS on Linux).
  const { createFakeGitlab } = await import('@stow/fake-gitlab');
  const dir = process.argv[3];
  const fake = await createFakeGitlab({
    repo: path.join(dir, 'repo.git'),
    tokens: [{ token: TOKEN, scopes: ['read_api'] }],
    archiveCacheDir: path.join(dir, 'archive-cache'),
  });
  // Random (incompressible) files in a few directories of the subfolder, plus files outside it.
  const size = Math.floor(TOTAL_BYTES / FILES);
  const files = {
    [`${SUBFOLDER}/stow.yaml`]: 'deployment: { name: bench }\ncontainers: {}\n',
    'other/x': 'x',
  };
  for (let i = 0; i < FILES; i++) files[`${SUBFOLDER}/d${i % 8}/f${i}.bin`] = randomBytes(size);
  const sha = await fake.commitFiles('main', files, { message: 'bench data' });
  process.stdout.write(`${fake.apiUrl} ${sha}\n`);
  process.on('SIGTERM', () => fake.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-bench-archive-'));
  const server = spawn(process.execPath, [self, '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [apiUrl, sha] = await new Promise((resolve, reject) => {
      server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
      server.stdout.once('data', (d) => resolve(String(d).trim().split(' ')));
    });
    const url = `${apiUrl}/projects/ops%2Fdeployments/repository/archive.tar.gz?sha=${sha}&path=${SUBFOLDER}`;
    const out = (name) => {
      const target = path.join(dir, name);
      rmSync(target, { recursive: true, force: true });
      return target;
    };
    const curlTar = (target) => [
      'sh',
      [
        '-c',
        `mkdir -p "$1" && curl -sf -H "PRIVATE-TOKEN: ${TOKEN}" "$2" | tar xz -C "$1"`,
        'sh',
        target,
        url,
      ],
    ];
    // Warm-up: fills the archive cache and the page cache.
    await timeCommand(...curlTar(out('warm')));
    const contenders = [
      [
        'stow: gitlab-client download + safe extract',
        (t) => [process.execPath, ['--import', REPORT_RSS, self, '--child', apiUrl, sha, t]],
      ],
      ["baseline: curl -s -H 'PRIVATE-TOKEN: ..' URL | tar xz -C dir", curlTar],
      [
        '(reference) node start + import @stow/gitlab-client, no download',
        () => [process.execPath, ['--import', REPORT_RSS, self, '--import-only']],
      ],
    ];
    const results = new Map(contenders.map(([name]) => [name, { ms: [], rss: [] }]));
    for (let run = 0; run < RUNS; run++) {
      for (const [name, command] of contenders) {
        const target = out(`run-${run}-${name.slice(0, 4)}`);
        const { ms, peakRssMiB } = await timeCommand(...command(target));
        results.get(name).ms.push(ms);
        if (peakRssMiB !== undefined) results.get(name).rss.push(peakRssMiB);
        rmSync(target, { recursive: true, force: true });
      }
    }
    // Sanity: stow's result holds the subfolder's files at the top.
    const check = out('check');
    await timeCommand(...contenders[0][1](check));
    const top = readdirSync(check).sort();
    if (!top.includes('stow.yaml') || top.length !== 9)
      throw new Error(`unexpected extraction: ${top.join(', ')}`);

    const stowMs = median(results.get(contenders[0][0]).ms);
    const curlMs = median(results.get(contenders[1][0]).ms);
    const mb = TOTAL_BYTES / 1e6;
    const rows = contenders.slice(0, 2).map(([name]) => {
      const r = results.get(name);
      const ms = median(r.ms);
      return [
        name,
        `${ms.toFixed(0)} ms`,
        `${(mb / (ms / 1000)).toFixed(0)} MB/s`,
        `${(ms / curlMs).toFixed(2)}x`,
        r.rss.length ? `${Math.max(...r.rss).toFixed(0)} MiB` : 'n/a',
      ];
    });
    console.log(
      `Archive of ${FILES} random files, ${mb.toFixed(0)} MB, median of ${RUNS} runs; ${machineDescription()}\n`,
    );
    const startup = median(results.get(contenders[2][0]).ms);
    rows.push([
      contenders[2][0],
      `${startup.toFixed(0)} ms`,
      '',
      `${(startup / curlMs).toFixed(2)}x`,
      `${Math.max(...results.get(contenders[2][0]).rss).toFixed(0)} MiB`,
    ]);
    console.log(markdownTable(['contender', 'wall time', 'throughput', 'vs curl | tar', 'peak RSS'], rows));
    const ratio = stowMs / curlMs;
    const peak = Math.max(...results.get(contenders[0][0]).rss);
    console.log(
      `\nstow / (curl | tar) = ${ratio.toFixed(2)} (target <= 1.5): ${ratio <= 1.5 ? 'met' : 'NOT met'}; ` +
        `without the one-time process start and gitbeaker import: ${((stowMs - startup) / curlMs).toFixed(2)}; ` +
        `stow peak RSS ${peak.toFixed(0)} MiB (target < 150 MB = 143 MiB): ${peak < 143 ? 'met' : 'NOT met'}`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('close', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
