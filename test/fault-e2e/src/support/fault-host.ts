import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadTestHost, type TestHost, type TestImageName } from '@stow/test-host';
import { freePort } from '@stow/test-host/net';
import { selfSignedCertificate } from '@stow/test-host/tls';
import type Dockerode from 'dockerode';
import { expect } from 'vitest';
import { httpGetText, httpsJson } from './https.js';
import { runStow, StowProcess, type StowResult } from './stow-process.js';

/** Verification windows of every case's stow.yaml; longer ones for a slower machine. */
export const WINDOWS = {
  stableSeconds: Number(process.env.STOW_FAULT_STABLE_SECONDS ?? 2),
  timeoutSeconds: Number(process.env.STOW_FAULT_TIMEOUT_SECONDS ?? 20),
};

/** One revision of the deployment: `web` (HTTP on a published port) and `worker` on one network. */
export interface Revision {
  /** Test image of `web` (default http-ok, which serves "http-ok v1"). */
  readonly web?: TestImageName;
  /** A full image reference for `web` instead (pinned by digest). */
  readonly webRef?: string;
  /** More containers, as YAML lines indented under `containers:`; `{id}` is replaced. */
  readonly extra?: string;
  /** Names (without the suffix) of the containers in `extra`. */
  readonly extraNames?: readonly string[];
  /** Windows for this revision (default WINDOWS). */
  readonly verify?: { readonly stableSeconds: number; readonly timeoutSeconds: number };
}

export interface Committed {
  readonly sha: string;
  /** Deployment hash (64 hex) of the commit, as `stow hash` computes it. */
  readonly hash: string;
}

export interface HostOptions {
  /** daemon.yaml dockerHost (e.g. a socket proxy). */
  readonly dockerHost?: string;
  readonly pollInterval?: string;
  /** An existing (mounted) directory to use as stateDir. */
  readonly stateDir?: string;
}

const HEALTHCHECK =
  '{ test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:8080/health"], interval: 1s, timeout: 2s, retries: 2 }';

/**
 * The host as an operator sets it up for one case: a local git deployment repository, a locked-down
 * config directory (root, 0500/0400) with TLS, a state directory of its own, a deployment name and
 * container suffix of its own, a free port where `web` is published, and cleanup of all of it.
 */
export class FaultHost {
  readonly id = randomBytes(3).toString('hex');
  readonly deployment: string;
  readonly root = mkdtempSync(path.join(tmpdir(), 'stow-fault-'));
  readonly repoDir = path.join(this.root, 'repo');
  readonly etcDir = path.join(this.root, 'etc');
  readonly configFile = path.join(this.etcDir, 'daemon.yaml');
  readonly stateDir: string;
  readonly subfolder = 'host-a';
  readonly daemons: StowProcess[] = [];
  /** Undo steps of the case (unmount, restore), run first by cleanup(), last added first. */
  readonly undo: Array<() => unknown> = [];
  host!: TestHost;
  webPort = 0;
  /** Where the daemon listens (daemon.yaml refuses port 0). */
  apiPort = 0;
  ca = '';
  #options: HostOptions;

  private constructor(name: string, options: HostOptions) {
    this.deployment = `fault-${name}-${this.id}`;
    this.#options = options;
    this.stateDir = options.stateDir ?? path.join(this.root, 'state');
  }

  static async create(name: string, options: HostOptions = {}): Promise<FaultHost> {
    const host = new FaultHost(name, options);
    host.host = await loadTestHost();
    host.webPort = await freePort();
    host.apiPort = await freePort();
    mkdirSync(host.repoDir);
    host.git('init', '-q', '-b', 'main');
    host.git('config', 'user.email', 'fault@stow.invalid');
    host.git('config', 'user.name', 'stow fault e2e');
    mkdirSync(host.etcDir, { mode: 0o700 });
    host.ca = selfSignedCertificate(host.etcDir).cert;
    host.writeConfig(options);
    return host;
  }

  get docker(): Dockerode {
    return this.host.docker;
  }

  name(base: string): string {
    return `${base}-${this.id}`;
  }

  image(name: TestImageName): string {
    return this.host.images[name].pinned;
  }

  /** Writes daemon.yaml and locks the directory down as `stow daemon` insists. */
  writeConfig(options: HostOptions = this.#options): void {
    this.#options = options;
    chmodSync(this.etcDir, 0o700);
    const configFile = this.configFile;
    if (existsSync(configFile)) rmSync(configFile);
    writeFileSync(
      configFile,
      [
        `gitRepository: ${this.repoDir}`,
        'branch: main',
        `subfolder: ${this.subfolder}`,
        `listen: 127.0.0.1:${this.apiPort}`,
        'tlsCrt: tls.crt',
        'tlsKey: tls.key',
        `stateDir: ${this.stateDir}`,
        `pollInterval: ${options.pollInterval ?? '10m'}`,
        ...(options.dockerHost ? [`dockerHost: ${options.dockerHost}`] : []),
        '',
      ].join('\n'),
    );
    for (const file of readdirSync(this.etcDir)) chmodSync(path.join(this.etcDir, file), 0o400);
    chmodSync(this.etcDir, 0o500);
  }

  stowYaml(revision: Revision = {}): string {
    const verify = revision.verify ?? WINDOWS;
    const image = revision.webRef ?? this.image(revision.web ?? 'http-ok');
    const extra = (revision.extra ?? '').replaceAll('{id}', this.id);
    return `deployment:
  name: ${this.deployment}
  verify: { stableSeconds: ${verify.stableSeconds}, timeoutSeconds: ${verify.timeoutSeconds} }
networks:
  ${this.name('net')}: {}
containers:
  ${this.name('web')}:
    image: ${image}
    ports: ["127.0.0.1:${this.webPort}:8080"]
    networks: [${this.name('net')}]
    init: true
    restart: unless-stopped
    healthcheck: ${HEALTHCHECK}
  ${this.name('worker')}:
    image: ${this.image('busybox')}
    command: [sleep, "3600"]
    networks: [${this.name('net')}]
    init: true
    restart: unless-stopped
${extra}`;
  }

  /** Commits a revision of the deployment folder; returns its sha and deployment hash. */
  async commit(revision: Revision = {}, files: Record<string, string> = {}): Promise<Committed> {
    const folder = path.join(this.repoDir, this.subfolder);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'stow.yaml'), this.stowYaml(revision));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', 'revision');
    const sha = this.git('rev-parse', 'HEAD').trim();
    const hashed = await runStow(['hash', '--json', folder]);
    if (hashed.code !== 0) throw new Error(`stow hash ${folder}: ${hashed.stderr}`);
    return { sha, hash: (JSON.parse(hashed.stdout) as { deployment_hash: string }).deployment_hash };
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.repoDir, encoding: 'utf8' });
  }

  /** `stow reconcile --config daemon.yaml --log-json ARGS...` to the end. */
  reconcile(...args: string[]): Promise<StowResult> {
    return runStow(['reconcile', '--config', this.configFile, '--log-json', ...args]);
  }

  /** The same in the background, to act while it runs. */
  spawnReconcile(): StowProcess {
    const child = new StowProcess(['reconcile', '--config', this.configFile, '--log-json'], 'stderr');
    this.daemons.push(child);
    return child;
  }

  /** `stow daemon --config daemon.yaml`, once it listens. */
  async startDaemon(): Promise<Daemon> {
    const process = new StowProcess(['daemon', '--config', this.configFile], 'stdout');
    this.daemons.push(process);
    const listening = await process.waitFor((e) => e.msg === 'daemon listening', 'daemon listening', 30_000);
    return new Daemon(process, String(listening.url), this.ca);
  }

  /** The deployment hash running-config points at (undefined: none). */
  runningHash(): string | undefined {
    const link = path.join(this.stateDir, 'running-config');
    return existsSync(link) ? path.basename(readlinkSync(link)) : undefined;
  }

  /** This deployment's containers by name. */
  async managed(): Promise<Map<string, Dockerode.ContainerInfo>> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`stow.deployment=${this.deployment}`] },
    });
    return new Map(list.map((c) => [c.Labels['stow.container'] ?? '', c]));
  }

  /** Container name -> id, to tell later that nothing was replaced. */
  async containerIds(): Promise<Record<string, string>> {
    return Object.fromEntries([...(await this.managed())].map(([name, c]) => [name, c.Id]));
  }

  /** What a user of the service gets from `web` now (waits up to 30 s for `expected`: a loaded host). */
  async served(expected: string): Promise<string> {
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = await httpGetText(this.webPort);
      if (text.includes(expected)) return text;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return text;
  }

  /**
   * The end of every case: the host runs `hash` verified and serving `serves`; exactly the declared
   * containers and network exist, no orphans, no running-config.previous, no staging leftovers.
   */
  async expectSettled(want: { hash: string; serves: string; extraNames?: readonly string[] }): Promise<void> {
    expect(this.runningHash(), 'running-config').toBe(want.hash);
    const names = ['web', 'worker', ...(want.extraNames ?? [])].map((n) => this.name(n)).sort();
    const managed = await this.managed();
    expect([...managed.keys()].sort(), 'managed containers').toEqual(names);
    for (const [name, container] of managed) {
      expect(container.State, `${name} state`).toBe('running');
      expect(container.Labels['stow.hash'], `${name} stow.hash`).toBe(`v1:${want.hash}`);
    }
    const all = await this.docker.listContainers({ all: true });
    const mine = all.filter((c) => c.Names.some((n) => n.endsWith(`-${this.id}`)));
    expect(mine.length, 'containers of this case (no orphans)').toBe(names.length);
    const networks = (await this.docker.listNetworks()).filter(
      (n) => n.Name.endsWith(`-${this.id}`) || n.Labels?.['stow.deployment'] === this.deployment,
    );
    expect(
      networks.map((n) => n.Name),
      'networks of this case',
    ).toEqual([this.name('net')]);
    expect(existsSync(path.join(this.stateDir, 'running-config.previous')), 'running-config.previous').toBe(
      false,
    );
    expect(this.stagingEntries(), 'staging leftovers').toEqual([]);
    expect(await this.served(want.serves), `GET / on 127.0.0.1:${this.webPort}`).toContain(want.serves);
  }

  stagingEntries(): string[] {
    const staging = path.join(this.stateDir, '.stow', 'staging');
    return existsSync(staging) ? readdirSync(staging) : [];
  }

  snapshotHashes(): string[] {
    const dir = path.join(this.stateDir, '.stow', 'snapshots');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  /** Stops what this case started and removes every container, network and file it made. */
  async cleanup(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.stop()));
    for (const step of this.undo.reverse()) await step();
    const list = await this.docker.listContainers({ all: true }).catch(() => []);
    for (const c of list) {
      if (c.Labels['stow.deployment'] === this.deployment || c.Names.some((n) => n.endsWith(`-${this.id}`)))
        await this.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    for (const n of await this.docker.listNetworks().catch(() => [])) {
      if (n.Labels?.['stow.deployment'] === this.deployment || n.Name.endsWith(`-${this.id}`))
        await this.docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined);
    }
    chmodSync(this.etcDir, 0o700);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A running `stow daemon` and its HTTPS API. */
export class Daemon {
  constructor(
    readonly process: StowProcess,
    readonly url: string,
    readonly ca: string,
  ) {}

  async status(headHash?: string): Promise<StatusAnswer> {
    const query = headHash ? `?head_hash=${headHash}` : '';
    return (await httpsJson(`${this.url}/status${query}`, this.ca)).body as StatusAnswer;
  }

  async trigger(headHash: string): Promise<number> {
    return (await httpsJson(`${this.url}/trigger?head_hash=${headHash}`, this.ca, 'POST')).status;
  }

  /** Polls /status until `done` accepts it (every 250 ms, up to `timeoutMs`). */
  async waitForStatus(
    done: (status: StatusAnswer) => boolean,
    what: string,
    headHash?: string,
    timeoutMs = 90_000,
  ): Promise<StatusAnswer> {
    const deadline = Date.now() + timeoutMs;
    let last: StatusAnswer | undefined;
    while (Date.now() < deadline) {
      if (!this.process.running) throw new Error(`the daemon exited while waiting for ${what}`);
      last = await this.status(headHash).catch(() => last);
      if (last && done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`no ${what} within ${timeoutMs} ms; last status ${JSON.stringify(last)}`);
  }

  /** The reconcile run the daemon reports as finished (last one), once there is one after `afterId`. */
  finishedRun(afterId?: string): Promise<StatusAnswer> {
    return this.waitForStatus(
      (s) => s.reconcile?.state === 'finished' && s.reconcile.id !== afterId,
      'a finished reconcile',
    );
  }
}

/** GET /status as the daemon answers it (SPEC section 10). */
export interface StatusAnswer {
  readonly head_hash: string | null;
  readonly state: string;
  readonly expected_deployment_hash: string | null;
  readonly running_deployment_hash: string | null;
  readonly running_git_revision: string | null;
  readonly reconcile: {
    readonly id: string;
    readonly trigger: string;
    readonly state: 'running' | 'finished';
    readonly outcome: string | null;
    readonly reason: string | null;
    readonly target_deployment_hash: string | null;
  } | null;
  readonly error?: string;
}
