export { hashDeploymentFolder } from './hash-folder.js';
export type { ReconcileOutcome, ReconcileStep } from './outcome.js';
export { exitCodeOf } from './outcome.js';
export type { LogFields, LogLevel, ReconcileLog } from './reconcile-log.js';
export { jsonLinesLog, newReconcileId, silentLog } from './reconcile-log.js';
export type { SecretsConfig } from './secrets.js';
export { decryptAndHash } from './secrets.js';
