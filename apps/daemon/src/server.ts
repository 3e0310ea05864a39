import { readFile } from 'node:fs/promises';
import { type DaemonConfig, readDaemonConfig } from '@stow/manifest';
import { createReconcileContext, type ReconcileLog } from '@stow/reconciler';
import fastify from 'fastify';
import { daemonApp } from './app.js';
import { backendFromContext, type DaemonBackend } from './backend.js';
import { DaemonCore } from './daemon-core.js';
import { DaemonError } from './errors.js';
import { assertLockdown, keysFileWarning, type LockdownFs, nodeLockdownFs } from './lockdown.js';
import { type DaemonLogger, jsonLinesLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import type { ZodApp } from './zod-provider.js';

/** How long SIGTERM waits for the reconcile in progress (verification alone may take 60 s). */
export const DEFAULT_STOP_TIMEOUT_MS = 100_000;

export interface ServerOptions {
  readonly config: DaemonConfig;
  readonly backend: DaemonBackend;
  readonly logger: DaemonLogger;
  /** Reconcile once at start (trigger `start`: crash recovery first) and every pollInterval. Default true. */
  readonly reconcile?: boolean;
  readonly stopTimeoutMs?: number;
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
}

/** HTTPS only: the daemon refuses to start without tlsCrt and tlsKey. */
async function readTls(config: DaemonConfig): Promise<{ cert: Buffer; key: Buffer }> {
  if (!config.tls) {
    throw new DaemonError(
      'TLS',
      `${config.file}: tlsCrt and tlsKey are required; the daemon serves HTTPS only`,
    );
  }
  const read = (file: string, key: string) =>
    readFile(file).catch((cause: unknown) => {
      throw new DaemonError('TLS', `${config.file}: ${key} ${file} cannot be read`, { cause });
    });
  return { cert: await read(config.tls.certFile, 'tlsCrt'), key: await read(config.tls.keyFile, 'tlsKey') };
}

/** Starts the HTTPS server, the start reconcile and the poll timer for an already loaded config. */
export async function startServer(options: ServerOptions): Promise<RunningDaemon> {
  const { config, backend, logger } = options;
  const tls = await readTls(config);
  const metrics = createMetrics();
  const core = new DaemonCore({ backend, logger, observer: metrics.observer });
  await core.loadRememberedFailures();
  metrics.attach(core);

  const app = fastify({
    logger: false,
    https: { ...tls, minVersion: 'TLSv1.2' },
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    return503OnClosing: true,
  }).withTypeProvider() as unknown as ZodApp;
  await app.register(async (scope) =>
    daemonApp(scope as ZodApp, { core, metrics, logger, triggerToken: config.triggerToken }),
  );
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `https://${host}:${port}`;
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
  return { url, core, app, close, closed };
}

export interface RunDaemonOptions {
  readonly configFile: string;
  /** Where the JSON log lines go (default stdout: journald). */
  readonly write?: (line: string) => void;
  readonly lockdownFs?: LockdownFs;
  /** Builds the backend (default: a real ReconcileContext from @stow/reconciler). */
  readonly createBackend?: (config: DaemonConfig, log: ReconcileLog) => Promise<DaemonBackend>;
  /** Handle SIGTERM and SIGINT (default true). */
  readonly handleSignals?: boolean;
  readonly reconcile?: boolean;
  readonly stopTimeoutMs?: number;
}

/**
 * `stow daemon --config FILE`: lockdown check before anything else, then the config, the keys file
 * warning, the backend and the server. SIGTERM/SIGINT close it gracefully.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<RunningDaemon> {
  await assertLockdown(options.configFile, options.lockdownFs ?? nodeLockdownFs);
  const config = await readDaemonConfig(options.configFile);
  const logger = jsonLinesLogger(options.write ?? ((line) => process.stdout.write(line)), {
    secrets: [
      config.source.kind === 'gitlab' ? config.source.token.reveal() : undefined,
      config.triggerToken?.reveal(),
    ],
  });
  const warning = await keysFileWarning(config.keysFile, options.lockdownFs ?? nodeLockdownFs);
  if (warning) logger.log('warn', warning);
  const backend = await (options.createBackend ?? realBackend)(config, logger.forReconcile('daemon'));
  const daemon = await startServer({
    config,
    backend,
    logger,
    reconcile: options.reconcile,
    stopTimeoutMs: options.stopTimeoutMs,
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
