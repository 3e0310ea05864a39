import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@stow/test-host/net';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { afterAll, describe, expect, it } from 'vitest';

// What each command loads, seen from outside: the built workspace CLI (dist/cli.js) runs in its own
// process with a loader hook recording every module it resolves. Start-up time is what pipelines
// pay per `stow hash`; these checks keep the heavy packages out of the commands that do not use them.
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const tracer = new URL('./test-support/trace-imports.mjs', import.meta.url).pathname;
const example = new URL('../../../examples/deploy-host.example.com', import.meta.url).pathname;
const scratch = mkdtempSync(path.join(tmpdir(), 'stow-startup-'));
afterAll(() => {
  execFileSync('chmod', ['-R', 'u+w', scratch]); // the locked-down config directory
  rmSync(scratch, { recursive: true, force: true });
});

/** The packages that cost start-up time: Docker, GitLab, HTTP, age's curves, zod's schemas. */
const HEAVY = ['/dockerode/', '/@gitbeaker/', '/fastify/', '/undici/', '/age-encryption/', '/zod/'];

let runs = 0;
async function modulesLoadedBy(...args: string[]): Promise<string[]> {
  const trace = path.join(scratch, `trace-${++runs}.txt`);
  writeFileSync(trace, '');
  await promisify(execFile)(process.execPath, ['--import', tracer, cli, ...args], {
    env: { ...process.env, STOW_TRACE_FILE: trace },
  });
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

const heavyIn = (urls: string[]) => urls.filter((url) => HEAVY.some((name) => url.includes(name)));
const thirdParty = (urls: string[]) => urls.filter((url) => url.includes('/node_modules/'));
const commandModules = (urls: string[]) => urls.filter((url) => url.includes('/dist/commands/'));

describe('start-up of the workspace stow', () => {
  it('loads no command and no package for --version', async () => {
    const loaded = await modulesLoadedBy('--version');
    expect(loaded.some((url) => url.endsWith('/dist/main.js'))).toBe(true); // the trace works
    expect(loaded.filter((url) => url.includes('/node_modules/') || url.includes('/packages/'))).toEqual([]);
    expect(commandModules(loaded).filter((url) => !url.endsWith('/commands/index.js'))).toEqual([]);
  });

  it('loads the command modules but none of their packages for --help', async () => {
    const loaded = await modulesLoadedBy('--help');
    expect(commandModules(loaded).length).toBeGreaterThan(9);
    expect(thirdParty(loaded)).toEqual([]);
    expect(loaded.filter((url) => url.endsWith('/dist/index.js') && url.includes('/packages/'))).toEqual([]);
  });

  it('loads only its own command module for `hash --help`', async () => {
    const loaded = await modulesLoadedBy('hash', '--help');
    expect(commandModules(loaded).map((url) => path.basename(url))).toEqual(['index.js', 'hash.js']);
    expect(thirdParty(loaded)).toEqual([]);
  });

  // The history's printer is loaded with it; the HTTP client only once it asks a daemon.
  it('loads only its own modules for `history --help`', async () => {
    const loaded = await modulesLoadedBy('history', '--help');
    expect(commandModules(loaded).map((url) => path.basename(url))).toEqual([
      'index.js',
      'history.js',
      'history-print.js',
    ]);
    expect(thirdParty(loaded)).toEqual([]);
  });

  it('hashes with the hasher and the SOPS pre-check only, not the reconciler, Docker or age', async () => {
    const loaded = await modulesLoadedBy('hash', example);
    expect(loaded.some((url) => url.includes('/content-hasher/'))).toBe(true);
    expect(loaded.some((url) => url.includes('/sops-decrypt/dist/detect.js'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
    expect(loaded.filter((url) => url.includes('/reconciler/dist/index.js'))).toEqual([]);
    // No file of the example could be a SOPS document: the YAML and SOPS parsers are never loaded.
    const parsers = loaded.filter(
      (url) =>
        url.includes('/node_modules/yaml/') || /\/sops-decrypt\/dist\/(index|formats\/yaml)\.js$/.test(url),
    );
    expect(parsers).toEqual([]);
  });

  it('loads the SOPS parsers, but not age, for a file that looks like a SOPS document', async () => {
    const folder = path.join(scratch, 'look-alike');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'stow.yaml'), 'deployment: { name: x }\ncontainers: {}\n');
    writeFileSync(path.join(folder, 'plain.yaml'), 'sops: not really\nmac: nope\n');
    const loaded = await modulesLoadedBy('hash', folder);
    expect(loaded.some((url) => url.includes('/sops-decrypt/dist/formats/yaml.js'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
  });
});

/**
 * A locked-down config (root-owned, directory 0500, files 0400; the tests run as root, like the
 * daemon) for a daemon reading a local git repository, with a Docker socket that does not exist:
 * the first reconcile fetches and hashes, then fails at the engine, touching no real engine.
 */
async function localGitDaemonConfig(): Promise<string> {
  const repo = path.join(scratch, 'repo');
  mkdirSync(path.join(repo, 'host'), { recursive: true });
  writeFileSync(path.join(repo, 'host/stow.yaml'), 'deployment: { name: startup }\ncontainers: {}\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.email=t@stow.invalid', '-c', 'user.name=t', 'commit', '-q', '-m', 'one');
  const etc = path.join(scratch, 'etc');
  mkdirSync(etc);
  const tls = selfSignedCertificate(etc);
  const yaml = [
    `gitRepository: ${repo}`,
    'branch: main',
    'subfolder: host',
    `listen: 127.0.0.1:${await freePort()}`,
    `tlsCrt: ${tls.certFile}`,
    `tlsKey: ${tls.keyFile}`,
    'pollInterval: 1h',
    `stateDir: ${path.join(scratch, 'state')}`,
    `dockerHost: unix://${path.join(scratch, 'no-docker.sock')}`,
    '',
  ].join('\n');
  writeFileSync(path.join(etc, 'daemon.yaml'), yaml);
  for (const file of ['daemon.yaml', 'tls.crt', 'tls.key']) chmodSync(path.join(etc, file), 0o400);
  chmodSync(etc, 0o500);
  return path.join(etc, 'daemon.yaml');
}

/** Runs `stow daemon` until its first reconcile has finished, then stops it; the modules it loaded. */
async function modulesLoadedByDaemon(config: string): Promise<string[]> {
  const trace = path.join(scratch, `trace-${++runs}.txt`);
  writeFileSync(trace, '');
  const daemon = spawn(process.execPath, ['--import', tracer, cli, 'daemon', '--config', config], {
    env: { ...process.env, STOW_TRACE_FILE: trace },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    daemon.stdout.on('data', (chunk) => {
      log += chunk;
      if (log.includes('"msg":"reconcile finished"')) resolve();
    });
    daemon.stderr.on('data', (chunk) => {
      log += chunk;
    });
    void exited.then((code) => reject(new Error(`stow daemon exited ${code} early:\n${log}`)));
  });
  daemon.kill('SIGTERM');
  expect(await exited).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

describe('start-up of the workspace stow daemon', () => {
  it('loads neither the GitLab client nor undici for a local git repository', {
    timeout: 60_000,
  }, async () => {
    const loaded = await modulesLoadedByDaemon(await localGitDaemonConfig());
    expect(loaded.some((url) => url.includes('/gitlab-client/dist/local-git-source.js'))).toBe(true);
    expect(loaded.some((url) => url.includes('/fastify/'))).toBe(true); // the trace covers the daemon
    expect(loaded.filter((url) => url.includes('/@gitbeaker/') || url.includes('/undici/'))).toEqual([]);
  });
});
