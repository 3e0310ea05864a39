import { Secret } from '@stow/manifest';
import { buildApp } from '../app.js';
import { DaemonCore, type DaemonCoreOptions } from '../daemon-core.js';
import { jsonLinesLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { type StatusPageSourcesOptions, statusPageSources } from '../status-page/sources.js';
import { captureLog, type FakeBackend } from './fake-backend.js';

/** The app over a fake backend, with the log captured. */
export async function buildTestApp(
  backend: FakeBackend,
  options: {
    token?: string;
    core?: Partial<Omit<DaemonCoreOptions, 'backend' | 'logger'>>;
    statusPage?: Omit<StatusPageSourcesOptions, 'backend' | 'logger'>;
  } = {},
) {
  const log = captureLog();
  const logger = jsonLinesLogger(log.write, { secrets: [options.token] });
  const metrics = createMetrics();
  const core = new DaemonCore({
    backend,
    logger,
    observer: metrics.observer,
    runningTtlMs: 0,
    ...options.core,
  });
  metrics.attach(core);
  const app = await buildApp({
    core,
    metrics,
    logger,
    triggerToken: options.token === undefined ? undefined : new Secret(options.token),
    statusPage: statusPageSources({ backend, logger, ...options.statusPage }),
  });
  return { app, core, log };
}
