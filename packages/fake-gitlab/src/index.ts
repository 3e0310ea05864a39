export type { CommitAction } from './commit-actions.js';
export { readFileAt } from './commit-actions.js';
export type { FakeGitlabErrorCode } from './errors.js';
export { FakeGitlabError } from './errors.js';
export { initBareRepo } from './git.js';
export type { FakeGitlab } from './server.js';
export { createFakeGitlab } from './server.js';
export type {
  CommitStatusRecord,
  DeploymentRecord,
  EnvironmentRecord,
  MergeRequestRecord,
} from './state.js';
export type {
  ArchiveLimit,
  FakeGitlabOptions,
  FakeToken,
  FakeUser,
  FaultSpec,
  FileSpec,
  RecordedRequest,
  SeedFiles,
  TokenScope,
} from './types.js';
export type { HookProject, WebhookRequest } from './webhooks.js';
export {
  branchDeletionHook,
  mergeRequestHook,
  pushHook,
  sendWebhook,
  tagPushHook,
  ZERO_SHA,
} from './webhooks.js';
