// Benchmark: the daemon's GET /gitlab.svg and GET /status for a cached commit (fake backend: no
// GitLab, no Docker) under 100 concurrent HTTPS connections, against a bare Fastify HTTPS
// hello-world measured in the same run on the same certificate. Each server runs in its own child
// process; autocannon drives them from this one. Also reports the daemon's idle RSS.
// Targets: >= 0.6x the baseline's throughput, p99 < 20 ms, idle RSS < 120 MB.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeSelfSignedTls } from './lib/daemon-config.mjs';
import { machineDescription, markdownTable } from './lib/measure.mjs';

const HERE = fileURLToPath(import.meta.url);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 100;
const HEAD = 'ab'.repeat(20);

if (process.argv[2] === '--serve') await serve(process.argv[3], process.argv[4]);
else await main();

/** Child: start one server, print its URL, live until stdin closes. */
async function serve(kind, dir) {
  const tls = { cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) };
  let url;
  if (kind === 'baseline') {
    // fastify is a dependency of @stow/daemon; resolve it from there.
    const daemonRequire = createRequire(createRequire(import.meta.url).resolve('@stow/daemon'));
    const { default: fastify } = await import(pathToFileURL(daemonRequire.resolve('fastify')).href);
    const app = fastify({ logger: false, https: tls });
    app.get('/', async () => ({ hello: 'world' }));
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  } else {
    const { silentLogger, startServer } = await import('@stow/daemon');
    const deploymentHash = 'c'.repeat(64);
    let running;
    const backend = {
      async reconcile(request) {
        request.onTarget?.({ gitRevision: HEAD, deploymentHash });
        running = { deploymentHash, gitRevision: HEAD, deploymentName: 'web' };
        return { kind: 'converged', deploymentHash, gitRevision: HEAD, changed: true, plan: {} };
      },
      resolveDeployment: async () => ({ deploymentHash }),
      defaultBranchHead: async () => ({ sha: HEAD }),
      resolveCommit: async (sha) => (HEAD.startsWith(sha) ? HEAD : undefined),
      isOnDefaultBranch: async () => true,
      running: async () => running,
      failedDeployments: async () => [],
    };
    const config = {
      file: join(dir, 'daemon.yaml'),
      source: { kind: 'git', repository: '/nonexistent', branch: undefined },
      subfolder: 'host',
      listen: { host: '127.0.0.1', port: 0 },
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      pollIntervalMs: 3_600_000,
    };
    const daemon = await startServer({ config, backend, logger: silentLogger });
    await daemon.core.idle();
    await daemon.core.status(HEAD); // the commit is cached from here on
    url = daemon.url;
  }
  process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function rssMiB(pid) {
  const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

function startChild(kind, dir) {
  const child = spawn(process.execPath, [HERE, '--serve', kind, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ child, ...JSON.parse(out.split('\n')[0]) });
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
}

async function load(autocannon, url) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function main() {
  const { default: autocannon } = await import('autocannon');
  const dir = mkdtempSync(join(tmpdir(), 'bench-daemon-http-'));
  writeSelfSignedTls(dir);
  const baseline = await startChild('baseline', dir);
  const daemon = await startChild('daemon', dir);
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // settle before the idle reading
    const idleRss = rssMiB(daemon.pid);
    // Warm-up (JIT, TLS sessions), then the measured runs.
    await autocannon({ url: `${baseline.url}/`, connections: CONNECTIONS, duration: 2 });
    await autocannon({
      url: `${daemon.url}/gitlab.svg?git_hash=${HEAD}`,
      connections: CONNECTIONS,
      duration: 2,
    });
    const base = await load(autocannon, `${baseline.url}/`);
    const badge = await load(autocannon, `${daemon.url}/gitlab.svg?git_hash=${HEAD}`);
    const status = await load(autocannon, `${daemon.url}/status?head_hash=${HEAD}`);
    const loadedRss = rssMiB(daemon.pid);
    const row = (name, r) => [
      name,
      Math.round(r.rps),
      r.p50,
      r.p99,
      (r.rps / base.rps).toFixed(2),
      name.startsWith('baseline') ? '' : r.rps / base.rps >= 0.6 && r.p99 < 20 ? 'yes' : 'NO',
    ];
    console.log(
      `${machineDescription()}; ${CONNECTIONS} connections, ${DURATION_S} s per run, HTTPS keep-alive\n`,
    );
    console.log(
      markdownTable(
        ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'ratio to baseline', 'target (>= 0.6x, p99 < 20 ms)'],
        [
          row('baseline: bare Fastify HTTPS hello-world', base),
          row('daemon GET /gitlab.svg (cached commit)', badge),
          row('daemon GET /status (cached commit)', status),
        ],
      ),
    );
    console.log(
      `\ndaemon RSS: idle ${idleRss.toFixed(1)} MiB (target < 120 MB: ${idleRss < 114 ? 'yes' : 'NO'}), after the load ${loadedRss.toFixed(1)} MiB`,
    );
  } finally {
    baseline.child.stdin.end();
    daemon.child.stdin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
