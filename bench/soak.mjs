// Soak: the real daemon (the single-file dist/stow) reconciles BENCH_SOAK_RECONCILES (200) times,
// alternating two revisions of 3 containers with a 1 s stable window, each asked for by a new commit
// and POST /trigger, on the real engine and registry. Targets: zero failures; no leaked containers,
// networks, snapshots (two revisions: two snapshots), file descriptors; daemon RSS at the end within
// 20% of its value after the first 20 reconciles. The baseline is the daemon itself after those 20.
// The test suite runs a short version of the same loop (test/fault-e2e/src/soak.test.ts).
// Run it under the engine lock: flock /tmp/stow-engine.lock pnpm bench soak
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { freePort, writeSelfSignedTls } from './lib/daemon-config.mjs';
import { machineDescription, markdownTable, median } from './lib/measure.mjs';

const RECONCILES = Number(process.env.BENCH_SOAK_RECONCILES ?? 200);
const BASELINE_AT = Math.min(20, RECONCILES);
const root = fileURLToPath(new URL('..', import.meta.url));
const STOW = [path.join(root, 'dist/stow'), path.join(root, 'apps/stow/dist/stow')].find(existsSync);
if (!STOW) throw new Error('no dist/stow: run pnpm build first');
execFileSync(path.join(root, 'ci/setup-test-host'), { stdio: ['ignore', 'ignore', 'inherit'] });
const images = JSON.parse(readFileSync('/var/lib/stow-test/images.json', 'utf8')).images;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const id = randomBytes(3).toString('hex');
const deployment = `soak-${id}`;
const work = mkdtempSync(path.join(tmpdir(), 'stow-soak-'));
const repo = path.join(work, 'repo');
const etc = path.join(work, 'etc');
const stateDir = path.join(work, 'state');
const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

function commit(n) {
  const web = n % 2 ? images['http-ok-2'].pinned : images['http-ok'].pinned;
  const sleeper = (name) =>
    `  ${name}-${id}:\n    image: ${images.busybox.pinned}\n    command: [sleep, "3600"]\n    networks: [net-${id}]\n    init: true\n    restart: unless-stopped\n`;
  writeFileSync(
    path.join(repo, 'host/stow.yaml'),
    `deployment:\n  name: ${deployment}\n  verify: { stableSeconds: 1, timeoutSeconds: 30 }\nnetworks:\n  net-${id}: {}\ncontainers:\n` +
      `  web-${id}:\n    image: ${web}\n    networks: [net-${id}]\n    init: true\n    restart: unless-stopped\n` +
      '    healthcheck: { test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:8080/health"], interval: 1s, timeout: 2s, retries: 2 }\n' +
      sleeper('worker') +
      sleeper('cache'),
  );
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', `soak ${n}`);
  return git('rev-parse', 'HEAD').trim();
}

function https(url, ca, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fds = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const managedContainers = async () =>
  (await docker.listContainers({ all: true, filters: { label: [`stow.deployment=${deployment}`] } })).length;
const managedNetworks = async () =>
  (await docker.listNetworks()).filter((n) => n.Labels?.['stow.deployment'] === deployment).length;

// The repository, the locked-down config directory with TLS, the daemon.
mkdirSync(path.join(repo, 'host'), { recursive: true });
git('init', '-q', '-b', 'main');
git('config', 'user.email', 'soak@stow.invalid');
git('config', 'user.name', 'soak');
commit(0);
mkdirSync(etc);
writeSelfSignedTls(etc);
const ca = readFileSync(path.join(etc, 'tls.crt'), 'utf8');
// daemon.yaml refuses port 0: probe a free one.
const apiPort = await freePort();
writeFileSync(
  path.join(etc, 'daemon.yaml'),
  `gitRepository: ${repo}\nbranch: main\nsubfolder: host\nlisten: 127.0.0.1:${apiPort}\ntlsCrt: tls.crt\ntlsKey: tls.key\nstateDir: ${stateDir}\npollInterval: 1h\n`,
);
for (const f of readdirSync(etc)) chmodSync(path.join(etc, f), 0o400);
chmodSync(etc, 0o500);

const daemon = spawn(STOW, ['daemon', '--config', path.join(etc, 'daemon.yaml')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const log = [];
let url;
daemon.on('exit', (code, signal) => {
  if (url === undefined) {
    console.error(`stow daemon exited before listening (${signal ?? code})`);
    process.exit(1);
  }
});
let buffer = '';
daemon.stdout.setEncoding('utf8');
daemon.stdout.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
    const entry = JSON.parse(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
    log.push(entry);
    if (entry.msg === 'daemon listening') url = entry.url;
  }
});

async function waitFinished(sha, afterId) {
  for (;;) {
    const { body } = await https(`${url}/status?head_hash=${sha}`, ca);
    const run = body.reconcile;
    if (run?.state === 'finished' && run.id !== afterId && !['queued', 'reconciling'].includes(body.state))
      return body;
    await sleep(100);
  }
}

try {
  while (!url) await sleep(100);
  let last = await waitFinished(git('rev-parse', 'HEAD').trim(), undefined);
  const pid = daemon.pid;
  const rows = [];
  const durations = [];
  const failures = [];
  let baseline;
  const started = Date.now();
  for (let n = 1; n <= RECONCILES; n++) {
    const sha = commit(n);
    const t0 = Date.now();
    await https(`${url}/trigger?head_hash=${sha}`, ca, 'POST');
    last = await waitFinished(sha, last.reconcile.id);
    durations.push(Date.now() - t0);
    // A run counts as failed when it did not converge, or when /status does not say so truthfully.
    if (last.reconcile.outcome !== 'converged' || last.state !== 'running')
      failures.push(
        `${n}: ${last.reconcile.outcome}/${last.state} ${last.reconcile.reason ?? ''} ${last.error ?? ''}`,
      );
    if (n === BASELINE_AT) baseline = { rss: rssMiB(pid), fds: fds(pid) };
    if (n % 50 === 0 || n === BASELINE_AT || n === RECONCILES) {
      rows.push([
        n,
        rssMiB(pid).toFixed(1),
        fds(pid),
        await managedContainers(),
        await managedNetworks(),
        readdirSync(path.join(stateDir, '.stow/snapshots')).length,
      ]);
    }
  }
  const end = { rss: rssMiB(pid), fds: fds(pid) };
  const snapshots = readdirSync(path.join(stateDir, '.stow/snapshots')).length;
  const containers = await managedContainers();
  const networks = await managedNetworks();
  const rssRatio = end.rss / baseline.rss;
  console.log(machineDescription());
  console.log(
    `\n${RECONCILES} reconciles in ${((Date.now() - started) / 1000).toFixed(0)} s; median ${median(durations)} ms per reconcile (trigger to verified)\n`,
  );
  console.log(
    markdownTable(
      ['after reconcile', 'daemon RSS MiB', 'open fds', 'containers', 'networks', 'snapshots'],
      rows,
    ),
  );
  const checks = [
    [
      'failures',
      failures.length === 0,
      failures.length ? `${failures.length}: ${failures.slice(0, 3).join('; ')}` : '0',
    ],
    ['containers (3)', containers === 3, containers],
    ['networks (1)', networks === 1, networks],
    ['snapshots (2)', snapshots === 2, snapshots],
    [`fds vs after ${BASELINE_AT}`, end.fds <= baseline.fds + 5, `${baseline.fds} -> ${end.fds}`],
    [
      `RSS vs after ${BASELINE_AT} (<= 1.20x)`,
      rssRatio <= 1.2,
      `${baseline.rss.toFixed(1)} -> ${end.rss.toFixed(1)} MiB (${rssRatio.toFixed(2)}x)`,
    ],
  ];
  console.log(
    `\n${markdownTable(
      ['check', 'met', 'value'],
      checks.map(([what, ok, value]) => [what, ok ? 'yes' : 'NO', value]),
    )}`,
  );
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  for (const c of await docker.listContainers({
    all: true,
    filters: { label: [`stow.deployment=${deployment}`] },
  }))
    await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks())
    if (n.Labels?.['stow.deployment'] === deployment) await docker.getNetwork(n.Id).remove();
  chmodSync(etc, 0o700);
  rmSync(work, { recursive: true, force: true });
}
