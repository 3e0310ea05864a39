export type { AppOptions } from './app.js';
export { buildApp, daemonApp } from './app.js';
export type { DaemonBackend, RunningDeployment } from './backend.js';
export { backendFromContext } from './backend.js';
export { renderBadge } from './badge.js';
export type { CoreObserver, DaemonCoreOptions, ReconcileRecord, StatusReport } from './daemon-core.js';
export { DaemonCore } from './daemon-core.js';
export type { EnqueueDecision } from './enqueue-decision.js';
export type { DaemonErrorCode } from './errors.js';
export { DaemonError } from './errors.js';
export type { LockdownViolation, LockedConfig, TrustedInputs } from './lockdown.js';
export { readLockedDownConfig, readTrustedInputs } from './lockdown.js';
export type { DaemonLogger } from './logger.js';
export { jsonLinesLogger, silentLogger } from './logger.js';
export type { DaemonMetrics } from './metrics.js';
export { createMetrics } from './metrics.js';
export type { ConnectionLimits, RunDaemonOptions, RunningDaemon, ServerOptions } from './server.js';
export {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_STOP_TIMEOUT_MS,
  runDaemon,
  startServer,
  triggerTokenWarning,
} from './server.js';
export type { CommitStatus, ConvergenceState, StatusFacts } from './status-of.js';
export { statusOf } from './status-of.js';
