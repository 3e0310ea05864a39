// The daemon's resident memory: the real `stow daemon` (the single-file dist/stow, and the workspace
// stow: node + apps/stow/dist/cli.js) with a locked-down config, a local git repository and a
// 2-container deployment on the real engine. Measured: RSS once the first reconcile has converged
// (10 s settle), and after 10,000 requests (5,000 GET /status + 5,000 GET /gitlab.svg for the head
// commit, 10 keep-alive HTTPS connections), against `node -e` idling as the floor.
// Targets: idle at most 75 MiB; after the requests at most 110 MiB.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, writeSelfSignedTls } from './lib/daemon-config.mjs';
import { deploymentRepo, docker, prepareEngineHost, removeLabelled } from './lib/engine-deployment.mjs';
import { loadAverageLine, machineDescription, markdownTable } from './lib/measure.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
// Idle means idle: V8's memory reducer shrinks the heap some seconds after the last activity.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 10_000);

const image = prepareEngineHost();
const loadBefore = os.loadavg();
const name = `bench-daemon-memory-${Date.now().toString(36)}`;
const stow = deploymentRepo({ name, count: 2, image });
const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: stow.repo, encoding: 'utf8' }).trim();
const work = mkdtempSync(path.join(tmpdir(), 'stow-bench-daemon-memory-'));

const rssMiB = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A config directory the daemon's lockdown accepts: root-owned, directory 0500, files 0400. */
async function lockedConfig(label) {
  const dir = path.join(work, `config-${label}`);
  execFileSync('mkdir', ['-p', dir]);
  writeSelfSignedTls(dir);
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'daemon.yaml'),
    [
      `gitRepository: ${stow.repo}`,
      'branch: main',
      'subfolder: host',
      `listen: 127.0.0.1:${port}`,
      `tlsCrt: ${path.join(dir, 'tls.crt')}`,
      `tlsKey: ${path.join(dir, 'tls.key')}`,
      'pollInterval: 1h',
      `stateDir: ${path.join(work, `state-${label}`)}`,
      '',
    ].join('\n'),
  );
  for (const file of ['daemon.yaml', 'tls.crt', 'tls.key']) chmodSync(path.join(dir, file), 0o400);
  chmodSync(dir, 0o500);
  return { file: path.join(dir, 'daemon.yaml'), url: `https://127.0.0.1:${port}` };
}

/** Starts one daemon and resolves once its first reconcile has converged. */
function startDaemon(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      for (const line of out.split('\n').slice(0, -1)) {
        const { msg, level } = JSON.parse(line);
        if (msg === 'converged' || msg === 'host already converged') resolve(child);
        if (level === 'error') {
          child.kill('SIGTERM');
          reject(new Error(`daemon: ${line}`));
        }
      }
      out = out.slice(out.lastIndexOf('\n') + 1);
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code} before converging`)));
  });
}

async function requests(url) {
  for (const route of [`/status?head_hash=${head}`, `/gitlab.svg?git_hash=${head}`]) {
    const result = await autocannon({ url: `${url}${route}`, connections: 10, amount: REQUESTS / 2 });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${route}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    }
  }
}

const contenders = [
  ['dist/stow daemon (single-file binary)', path.join(ROOT, 'dist/stow'), []],
  ['workspace stow daemon (node cli.js)', process.execPath, [path.join(ROOT, 'apps/stow/dist/cli.js')]],
].filter(([, program]) => existsSync(program));

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // autocannon against the self-signed certificate
const rows = [];
try {
  const floor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  await sleep(SETTLE_MS);
  const floorRss = rssMiB(floor.pid);
  floor.kill();
  rows.push(['floor: node idling', floorRss.toFixed(1), '', '', '']);
  for (const [label, program, prefix] of contenders) {
    const config = await lockedConfig(rows.length);
    const daemon = await startDaemon(program, [...prefix, 'daemon', '--config', config.file]);
    try {
      await sleep(SETTLE_MS);
      const idle = rssMiB(daemon.pid);
      await requests(config.url);
      await sleep(SETTLE_MS);
      const loaded = rssMiB(daemon.pid);
      const peak =
        Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1]) / 1024;
      rows.push([
        label,
        idle.toFixed(1),
        loaded.toFixed(1),
        peak.toFixed(1),
        idle <= 75 && loaded <= 110 ? 'yes' : 'NO',
      ]);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon.once('close', resolve));
    }
    await removeLabelled(`stow.deployment=${name}`);
  }
  console.log(`daemon memory: ${REQUESTS} requests after the first reconcile; RSS from /proc`);
  console.log(`machine: ${machineDescription()}; Docker Engine ${(await docker.version()).Version}`);
  console.log(loadAverageLine(loadBefore));
  console.log(
    markdownTable(
      ['process', 'idle MiB', `after ${REQUESTS} requests MiB`, 'peak MiB', 'target (<= 75 / <= 110)'],
      rows,
    ),
  );
} finally {
  await removeLabelled(`stow.deployment=${name}`).catch(() => {});
  execFileSync('chmod', ['-R', 'u+w', work]);
  rmSync(work, { recursive: true, force: true });
  rmSync(stow.repo, { recursive: true, force: true });
}
