export type { ChangedSinceOptions, ChangedSinceReport, DirectoryOutcome } from './changed-since.js';
export { readDaemonBaseUrl, triggerChangedSince } from './changed-since.js';
export { changedDeployments, deploymentDirs, ZERO_SHA } from './deployments.js';
export type { TriggerErrorCode } from './errors.js';
export { TriggerError } from './errors.js';
export type { RetryEnv, RetryPolicy } from './retry.js';
export { backoffDelay, DEFAULT_TRIGGER_RETRY, isRetryableStatus, parseRetryAfter } from './retry.js';
export type { DaemonRequest, TriggerOptions, TriggerResult } from './trigger.js';
export { daemonUrl, redactUrl, requestDaemon, triggerDaemon, triggerUrl } from './trigger.js';
