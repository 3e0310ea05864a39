// How the first half of a reconcile grows with the deployment folder (10 MB, 100 MB, 1 GB of random
// files plus two SOPS files): fetch (the fake GitLab, in its own process, serves the subfolder
// archive, cached as GitLab does; stow's client downloads and safely extracts it), decrypt (the SOPS
// files in place, native backend) and hash (the four deployment hashes), each timed in this process
// as the reconciler runs them. Median of 3 (1 run at 1 GB, after one warm-up download per size).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashDeployment } from '@stow/content-hasher';
import { createGitlabClient, extractSubfolderArchive } from '@stow/gitlab-client';
import { decryptTree, findSopsFiles } from '@stow/sops-decrypt';
import { loadAverageLine, machineDescription, markdownTable, median } from './lib/measure.mjs';

const TOKEN = 'glpat-bench-token';
const SUBFOLDER = 'deploy-host.example.com';
const MB = 1000 * 1000;
const SIZES = (process.env.BENCH_SIZES_MB ?? '10,100,1000').split(',').map(Number);
// Public age fixtures of @stow/sops-decrypt (see its fixtures/README.md): the key and two documents.
const FIXTURES = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@stow/sops-decrypt')),
  '../fixtures/getsops-derived',
);
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--serve') await serve(process.argv[3], Number(process.argv[4]));
else await main();

/** Child: a fake GitLab whose main branch holds `megabytes` of random files and two SOPS files. */
async function serve(dir, megabytes) {
  const { createFakeGitlab } = await import('@stow/fake-gitlab');
  const fake = await createFakeGitlab({
    repo: path.join(dir, 'repo.git'),
    tokens: [{ token: TOKEN, scopes: ['read_api'] }],
    archiveCacheDir: path.join(dir, 'archive-cache'),
  });
  const files = megabytes >= 1000 ? 1000 : megabytes >= 100 ? 500 : 100;
  const size = Math.floor((megabytes * MB) / files);
  const tree = {
    [`${SUBFOLDER}/stow.yaml`]: 'deployment: { name: bench }\ncontainers: {}\n',
    [`${SUBFOLDER}/secrets/example.yaml`]: readFileSync(path.join(FIXTURES, 'example.yaml')),
    [`${SUBFOLDER}/secrets/format.enc.env`]: readFileSync(path.join(FIXTURES, 'format.enc.env')),
  };
  for (let i = 0; i < files; i++) tree[`${SUBFOLDER}/d${i % 20}/f${i}.bin`] = randomBytes(size);
  const sha = await fake.commitFiles('main', tree, { message: 'bench data' });
  process.stdout.write(`${fake.apiUrl} ${sha}\n`);
  process.on('SIGTERM', () => fake.close().then(() => process.exit(0)));
}

async function main() {
  const loadBefore = os.loadavg();
  const rows = [];
  for (const megabytes of SIZES) {
    const dir = mkdtempSync(path.join(tmpdir(), 'stow-bench-scale-tree-'));
    const server = spawn(process.execPath, [self, '--serve', dir, String(megabytes)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [apiUrl, sha] = await new Promise((resolve, reject) => {
        server.on('exit', (code) => reject(new Error(`fake GitLab exited ${code}`)));
        server.stdout.once('data', (d) => resolve(String(d).trim().split(' ')));
      });
      const client = createGitlabClient({ apiUrl, token: TOKEN });
      const keysFile = path.join(dir, 'keys.txt');
      copyFileSync(path.join(FIXTURES, 'keys.txt'), keysFile);
      const runs = megabytes >= 1000 ? 1 : 3;
      const times = [];
      for (let run = -1; run < runs; run++) {
        const staging = path.join(dir, `staging-${run + 1}`);
        mkdirSync(staging);
        const t0 = performance.now();
        const stream = await client.downloadArchive('ops/deployments', { sha, path: SUBFOLDER });
        // The 512 MiB default cap on an extracted deployment is lifted for the 1 GB row.
        await extractSubfolderArchive(stream, {
          stagingDir: staging,
          subfolder: SUBFOLDER,
          maxBytes: 2 ** 31,
        });
        const t1 = performance.now();
        const secretFiles = await findSopsFiles(staging);
        if (secretFiles.length !== 2)
          throw new Error(`expected 2 SOPS files, found ${secretFiles.join(', ')}`);
        await decryptTree(staging, { keysFile });
        const t2 = performance.now();
        await hashDeployment(staging, { secretFiles });
        const t3 = performance.now();
        // run -1 is the warm-up: it fills the fake's archive cache, as GitLab's own cache would be.
        if (run >= 0) times.push({ fetch: t1 - t0, decrypt: t2 - t1, hash: t3 - t2, total: t3 - t0 });
        rmSync(staging, { recursive: true, force: true });
      }
      await client.close();
      const m = (key) => median(times.map((t) => t[key]));
      rows.push([
        `${megabytes} MB`,
        m('fetch').toFixed(0),
        m('decrypt').toFixed(0),
        m('hash').toFixed(0),
        m('total').toFixed(0),
        ((megabytes * MB) / 2 ** 20 / (m('total') / 1000)).toFixed(0),
        runs,
      ]);
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('close', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log('scale (tree size): fetch + decrypt + hash, in process, warm archive cache');
  console.log(`machine: ${machineDescription()}`);
  console.log(loadAverageLine(loadBefore));
  console.log(
    markdownTable(['tree', 'fetch ms', 'decrypt ms', 'hash ms', 'total ms', 'MiB/s', 'runs'], rows),
  );
}
