export type {
  DeploymentResolver,
  ListedFile,
  ListingSource,
  ResolvedDeployment,
} from './cheap-resolution.js';
export { createDeploymentResolver } from './cheap-resolution.js';
export type { ContextOptions } from './context-from-config.js';
export { createReconcileContext } from './context-from-config.js';
export { hashDeploymentFolder } from './hash-folder.js';
export type {
  FailedContainerLogs,
  FailedContainerSummary,
  HistoryEntry,
  HistoryLogs,
} from './history-entry.js';
export { FORENSIC_HEALTH_OUTPUTS, FORENSIC_LOG_LINES, HISTORY_MAX_ENTRIES } from './history-entry.js';
export type { HistoryOptions, HistoryRun, HistoryStore } from './history-store.js';
export { openHistory } from './history-store.js';
export type { JobOutcome, JobRunRecord } from './jobs.js';
export type { OutcomeWarning, ReconcileOutcome, ReconcileStep } from './outcome.js';
export { exitCodeOf } from './outcome.js';
export type { PlanSummary } from './plan-summary.js';
export type { Clock, DeploymentSource } from './ports.js';
export { systemClock } from './ports.js';
export type {
  ApplyTarget,
  ReconcileContext,
  ReconcileRequest,
  ReconcileTrigger,
} from './reconcile-context.js';
export type { LogFields, LogLevel, ReconcileLog } from './reconcile-log.js';
export { jsonLinesLog, newReconcileId, silentLog } from './reconcile-log.js';
export { resolveDeployment } from './resolve-deployment.js';
export { runReconcile } from './run-reconcile.js';
export type { SecretsConfig } from './secrets.js';
export { decryptAndHash } from './secrets.js';
export type { TargetDeployment, VerifyResult } from './target.js';
