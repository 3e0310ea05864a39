import { readFile } from 'node:fs/promises';
import { type DaemonConfig, parseDaemonConfig } from '@stow/manifest';
import { createReconcileContext, type ReconcileLog } from '@stow/reconciler';
import { stateLayout } from '@stow/snapshot-store';
import fastify from 'fastify';
import { daemonApp } from './app.js';
import { backendFromContext, type DaemonBackend } from './backend.js';
import { type CoreObserver, combineObservers, DaemonCore } from './daemon-core.js';
import { DaemonError } from './errors.js';
import { createGitlabReporter, type ReportClient } from './gitlab-reporter.js';
import { readLockedDownConfig, readTrustedInputs } from './lockdown.js';
import { type DaemonLogger, jsonLinesLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createNotifier, type NotifierOptions } from './notifier.js';
import { statusPageSources } from './status-page/sources.js';
import { listenBaseUrl } from './status-url.js';
import type { ZodApp } from './zod-provider.js';

/** How long SIGTERM waits for the reconcile in progress (verification alone may take 60 s). */
export const DEFAULT_STOP_TIMEOUT_MS = 100_000;

/**
 * What the open port lets one client hold (issue 11): connections beyond `maxConnections` are
 * dropped at accept; a TCP connection that does not finish its TLS handshake, and a TLS connection
 * that sends no request (first request or keep-alive), is closed after `idleTimeoutMs`; a request
 * whose headers have not all arrived after `headersTimeoutMs` gets 408 and is closed. Tests shorten
 * them.
 */
export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must have arrived by then. */
  readonly requestTimeoutMs: number;
  /** A request being answered may be silent this long (a status resolving a commit). */
  readonly busyTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 256,
  idleTimeoutMs: 10_000,
  // Node checks header deadlines every connectionsCheckingInterval and closes about a second
  // after the deadline: 25 s keeps a slow-headers client under 30 s.
  headersTimeoutMs: 25_000,
  requestTimeoutMs: 60_000,
  busyTimeoutMs: 120_000,
};

export interface ServerOptions {
  readonly config: DaemonConfig;
  /** tlsCrt and tlsKey as read through their checked fds; default: checked and read here. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly limits?: Partial<ConnectionLimits>;
  readonly backend: DaemonBackend;
  readonly logger: DaemonLogger;
  /** Reconcile once at start (trigger `start`: crash recovery first) and every pollInterval. Default true. */
  readonly reconcile?: boolean;
  readonly stopTimeoutMs?: number;
  /** The client of the GitLab reports (default: one made from daemon.yaml when the source is GitLab). */
  readonly gitlabClient?: ReportClient;
  /** Timing of notification deliveries (tests shorten it). */
  readonly notifyTiming?: Pick<NotifierOptions, 'timeoutMs' | 'attempts' | 'backoffMs'>;
}

export interface RunningDaemon {
  /** `https://host:port` as bound (port 0 becomes the real port). */
  readonly url: string;
  readonly core: DaemonCore;
  readonly app: ZodApp;
  /** Stops accepting connections, lets requests in flight and the reconcile in progress finish (bounded). */
  close(reason?: string): Promise<void>;
  /** Settles once close() has finished. */
  readonly closed: Promise<void>;
  /** Resolves once the GitLab reports and notifications queued so far are sent or given up. */
  reportsIdle(): Promise<void>;
}

/** HTTPS only: the daemon refuses to start without tlsCrt and tlsKey, read through checked fds. */
async function readTls(
  config: DaemonConfig,
  given: ServerOptions['tls'],
): Promise<{ cert: Buffer; key: Buffer }> {
  if (!config.tls) {
    throw new DaemonError(
      'TLS',
      `${config.file}: tlsCrt and tlsKey are required; the daemon serves HTTPS only`,
    );
  }
  if (given) return given;
  const { tls } = await readTrustedInputs({ ...config, keysFile: undefined, sopsBinary: undefined });
  if (!tls) throw new DaemonError('TLS', `${config.file}: tlsCrt and tlsKey cannot be read`);
  return tls;
}

/** Starts the HTTPS server, the start reconcile and the poll timer for an already loaded config. */
export async function startServer(options: ServerOptions): Promise<RunningDaemon> {
  const { config, backend, logger } = options;
  const tls = await readTls(config, options.tls);
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const metrics = createMetrics();
  let listenUrl = listenBaseUrl(config.listen); // the bound port replaces port 0 once listening
  const reports = await reportObservers(options, () => listenUrl);
  const core = new DaemonCore({
    backend,
    logger,
    observer: combineObservers(metrics.observer, ...reports.observers),
  });
  await core.loadRememberedFailures();
  metrics.attach(core, backend.containers?.bind(backend));

  const app = fastify({
    logger: false,
    https: {
      ...tls,
      minVersion: 'TLSv1.2',
      handshakeTimeout: limits.idleTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // How often Node looks for expired header and request deadlines (default 30 s, far too coarse).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    bodyLimit: 1024 * 1024,
    // The socket's inactivity timeout before its first request; keepAliveTimeout after each answer.
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    return503OnClosing: true,
  }).withTypeProvider() as unknown as ZodApp;
  app.server.maxConnections = limits.maxConnections;
  // A request being answered is not idle: give its socket the longer busy timeout (Node puts the
  // keep-alive timeout back once the answer is sent).
  app.addHook('onRequest', async (request) => {
    request.raw.socket.setTimeout(limits.busyTimeoutMs);
  });
  const statusPage = statusPageSources({ backend, source: config.source, logger });
  await app.register(async (scope) =>
    daemonApp(scope as ZodApp, { core, metrics, logger, triggerToken: config.triggerToken, statusPage }),
  );
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `https://${host}:${port}`;
  listenUrl = listenBaseUrl({ host: config.listen.host, port });
  logger.log('info', 'daemon listening', { url, poll_interval_ms: config.pollIntervalMs });

  let poll: NodeJS.Timeout | undefined;
  if (options.reconcile !== false) {
    void core.requestReconcile('start');
    poll = setInterval(() => void core.requestReconcile('poll'), config.pollIntervalMs);
  }

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const close = (reason = 'close') => {
    closing ??= (async () => {
      logger.log('info', 'shutting down: no new connections, waiting for the reconcile in progress', {
        reason,
      });
      clearInterval(poll);
      const [, stopped] = await Promise.all([
        app.close(),
        core.stop(options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS),
      ]);
      // The last reconcile's reports get a moment; they never hold the shutdown for long.
      await Promise.race([reports.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await reports.close();
      if (stopped === 'timeout') {
        logger.log(
          'error',
          'the reconcile in progress did not finish in time; exiting anyway (the next start recovers)',
          {},
        );
      }
      logger.log('info', 'stopped', { reason });
      markClosed();
    })();
    return closing;
  };
  return { url, core, app, close, closed, reportsIdle: reports.idle };
}

/**
 * The GitLab reports (GitLab source, each switchable off) and the notifications (`notify:`) as core
 * observers. Both queue their work: nothing here can delay or fail a reconcile.
 */
async function reportObservers(
  options: ServerOptions,
  listenUrl: () => string,
): Promise<{ observers: CoreObserver[]; idle(): Promise<void>; close(): Promise<void> }> {
  const { config, logger } = options;
  const observers: CoreObserver[] = [];
  const idles: Array<() => Promise<void>> = [];
  let close = async () => {};
  const { source, gitlabReports } = config;
  if (source.kind === 'gitlab' && (gitlabReports.commitStatus || gitlabReports.deployments)) {
    let client = options.gitlabClient;
    if (!client) {
      // Loaded only here: a daemon without GitLab reporting never needs the client (gitbeaker).
      const { createGitlabClient } = await import('@stow/gitlab-client');
      const ca = process.env.STOW_CACERT ? await readFile(process.env.STOW_CACERT) : undefined;
      // Short and few: a report is worth less than the daemon's attention.
      const own = createGitlabClient({
        apiUrl: source.apiUrl,
        token: source.token.reveal(),
        ca,
        timeoutMs: 10_000,
        retry: { attempts: 3, maxDelayMs: 10_000 },
      });
      close = () => own.close();
      client = own;
    }
    const reporter = createGitlabReporter({
      client,
      project: source.project,
      subfolder: config.subfolder,
      reports: gitlabReports,
      listenUrl,
      logger,
    });
    observers.push(reporter.observer);
    idles.push(reporter.idle);
  }
  if (config.notify.length > 0) {
    const notifier = createNotifier({
      ...options.notifyTiming,
      targets: config.notify,
      stateFile: `${stateLayout(config.stateDir).stowDir}/notifications.json`,
      host: config.subfolder,
      listenUrl,
      logger,
    });
    await notifier.load();
    observers.push(notifier.observer);
    idles.push(notifier.idle);
  }
  return { observers, idle: async () => void (await Promise.all(idles.map((idle) => idle()))), close };
}

export interface RunDaemonOptions {
  readonly configFile: string;
  /** Where the JSON log lines go (default stdout: journald). */
  readonly write?: (line: string) => void;
  /** Builds the backend (default: a real ReconcileContext from @stow/reconciler). */
  readonly createBackend?: (config: DaemonConfig, log: ReconcileLog) => Promise<DaemonBackend>;
  /** Handle SIGTERM and SIGINT (default true). */
  readonly handleSignals?: boolean;
  readonly reconcile?: boolean;
  readonly stopTimeoutMs?: number;
  readonly limits?: Partial<ConnectionLimits>;
  readonly gitlabClient?: ReportClient;
  readonly notifyTiming?: ServerOptions['notifyTiming'];
}

/**
 * Why a daemon.yaml without triggerToken deserves a warning (at daemon start and in `stow
 * validate`): POST /trigger is then open to anyone who can reach `listen`.
 */
export function triggerTokenWarning(config: DaemonConfig): string | undefined {
  if (config.triggerToken !== undefined) return undefined;
  const { host, port } = config.listen;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return `no triggerToken: anyone who can reach ${address} can trigger reconciles; set triggerToken (see docs/security.md)`;
}

/**
 * `stow daemon --config FILE`: the lockdown before anything else (daemon.yaml read through the fd
 * it checked), then the files daemon.yaml names (keys, TLS, sopsBinary) under the same rules, the
 * warnings, the backend and the server. SIGTERM/SIGINT close it gracefully.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<RunningDaemon> {
  const locked = await readLockedDownConfig(options.configFile);
  const loaded = parseDaemonConfig(locked.text, locked.file);
  const logger = jsonLinesLogger(options.write ?? ((line) => process.stdout.write(line)), {
    secrets: [
      loaded.source.kind === 'gitlab' ? loaded.source.token.reveal() : undefined,
      loaded.triggerToken?.reveal(),
      // Webhook URLs are credentials (a Slack webhook URL is one).
      ...loaded.notify.map((target) => target.url.reveal()),
    ],
  });
  const trusted = await readTrustedInputs(loaded);
  // From here on the daemon uses the checked paths (directories resolved), never the configured ones.
  const config: DaemonConfig = {
    ...loaded,
    keysFile: trusted.keys?.path ?? loaded.keysFile,
    sopsBinary: trusted.sopsBinary ?? loaded.sopsBinary,
  };
  const noToken = triggerTokenWarning(config);
  for (const warning of [...trusted.warnings, noToken && `${config.file}: ${noToken}`]) {
    if (warning) logger.log('warn', warning);
  }
  const backend = await (options.createBackend ?? realBackend)(config, logger.forReconcile('daemon'));
  const daemon = await startServer({
    config,
    tls: trusted.tls,
    backend,
    logger,
    limits: options.limits,
    reconcile: options.reconcile,
    stopTimeoutMs: options.stopTimeoutMs,
    gitlabClient: options.gitlabClient,
    notifyTiming: options.notifyTiming,
  });
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => void daemon.close(signal);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    void daemon.closed.then(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  }
  return daemon;
}

/** The real wiring: @stow/reconciler's createReconcileContext (GitLab or local git, the Docker engine). */
async function realBackend(config: DaemonConfig, log: ReconcileLog): Promise<DaemonBackend> {
  return backendFromContext(await createReconcileContext(config, { log }));
}
