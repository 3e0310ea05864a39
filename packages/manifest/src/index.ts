export type { ConfigKind } from './config-kind.js';
export { detectConfigKind } from './config-kind.js';
export type { DaemonConfig, DesiredStateSourceConfig, GitlabReports, NotifyTarget } from './daemon-config.js';
export { parseDaemonConfig, readDaemonConfig } from './daemon-config.js';
export type { NotifyEvent } from './daemon-schema.js';
export { DEFAULT_NOTIFY_EVENTS, daemonConfigSchema, NOTIFY_EVENTS } from './daemon-schema.js';
export { deploymentPathProblem } from './deployment-path.js';
export { isDuration, parseDuration } from './duration.js';
export type { ManifestErrorCode, ManifestIssue } from './errors.js';
export { formatIssue, ManifestError } from './errors.js';
export type { ImageReference } from './image-reference.js';
export { formatImageReference, isDigest, parseImageReference } from './image-reference.js';
export { stowManifestJsonSchema } from './json-schema.js';
export type { PortBinding } from './port-binding.js';
export { parsePortBinding } from './port-binding.js';
export { stowYamlReference } from './reference-doc.js';
export { Secret } from './secret.js';
export { missingReferences, parseStowManifest, readStowManifest } from './stow-manifest.js';
export type {
  ContainerSpec,
  HealthcheckSpec,
  JobSpec,
  JobWhen,
  MountSpec,
  StowManifest,
  StowManifestInput,
} from './stow-schema.js';
export { CONTAINER_NAME, DEPLOYMENT_NAME, JOB_WHEN, stowManifestSchema } from './stow-schema.js';
export type { ValidationReport } from './validate-file.js';
export { validateConfigFile } from './validate-file.js';
