export { hostFromApiUrl } from './api-url.js';
export type { HttpFailure, TokenKind } from './classify.js';
export { classifyHttpError, classifyTransportError, endpointLabel, scopeFor } from './classify.js';
export { createGitlabClient } from './client.js';
export { createDispatcher } from './dispatcher.js';
export type { GitlabClientErrorCode, GitlabClientErrorOptions } from './errors.js';
export { GitlabClientError, TRANSIENT_CODES } from './errors.js';
export type { ExtractOptions, ExtractResult } from './extract.js';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, extractSubfolderArchive } from './extract.js';
export type { GitlabSourceOptions } from './gitlab-source.js';
export { createGitlabSource } from './gitlab-source.js';
export type { LocalGitSourceOptions } from './local-git-source.js';
export { createLocalGitSource, isRemoteRepository } from './local-git-source.js';
export type { RetryEnv, RetryPolicy } from './retry.js';
export { DEFAULT_RETRY, parseRetryAfter, realRetryEnv, retryDelay } from './retry.js';
export type { DesiredStateSource, ExtractLimits } from './source.js';
export type {
  BranchHead,
  CommitInfo,
  CommitStatusRequest,
  CommitStatusState,
  Deployment,
  DeploymentRequest,
  DeploymentStatus,
  FileAction,
  ForceCommitRequest,
  GitlabClient,
  GitlabClientOptions,
  GitlabUser,
  MergeRequest,
  MergeRequestCreate,
  MergeRequestUpdate,
  ProjectInfo,
  ProjectRef,
  RepositoryFile,
} from './types.js';
export { assertSha, isSha, normalizeSubfolder } from './validate.js';
