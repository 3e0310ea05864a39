export type { ApplyOptions, ApplyProgress, ApplyResult, ApplyStep } from './apply-plan.js';
export { applyPlan, DEFAULT_APPLY_CONCURRENCY, pullReference } from './apply-plan.js';
export type {
  ContainerCreateBody,
  CreateContext,
  CreateOptions,
  EngineHealthcheck,
  EngineHostConfig,
  EngineMount,
  EnginePortBinding,
} from './create-options.js';
export { memoryBytes, restartPolicyOf, toCreateOptions } from './create-options.js';
export type { DockerEngineOptions } from './dockerode-engine.js';
export { createDockerEngine, engineMessage, healthOfStatus } from './dockerode-engine.js';
export type {
  ContainerInspection,
  DockerEngine,
  HealthProbe,
  NetworkCreateRequest,
  RegistryAuth,
} from './engine.js';
export { mergeEnvFiles, parseEnvFile } from './env-file.js';
export type { DockerPlannerErrorCode, DockerPlannerErrorContext } from './errors.js';
export { DockerPlannerError } from './errors.js';
export type { EngineInspectJson } from './inspection.js';
export { inspectionOf } from './inspection.js';
export {
  HASH_LABEL_PREFIX,
  hashLabelValue,
  LABEL_CONTAINER,
  LABEL_DEPLOYMENT,
  LABEL_HASH,
  LABEL_JOB,
  shortHash,
} from './labels.js';
export { observeActual } from './observe.js';
export type {
  ActualContainer,
  ActualNetwork,
  ActualState,
  ContainerAction,
  DesiredState,
  NetworkSpec,
  NetworkToCreate,
  Plan,
  PlannedContainer,
} from './plan.js';
export { plan } from './plan.js';
export type { ReadDockerConfigOptions, RegistryAuthLookup } from './registry-auth.js';
export { readDockerConfigAuth, registryAuthFromConfig, registryHostOf } from './registry-auth.js';
export type { JobRun, JobToRun, RunJobHooks } from './run-job.js';
export { jobContainerName, removeLeftJobContainers, runJob, toJobCreateOptions } from './run-job.js';
export type { DependsOn } from './start-order.js';
export { startWaves, stopOrder } from './start-order.js';
export type { ReadyWait } from './wait-ready.js';
export { waitUntilReady } from './wait-ready.js';
