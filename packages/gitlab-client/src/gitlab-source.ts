import { GitlabClientError } from './errors.js';
import { extractSubfolderArchive } from './extract.js';
import { DEFAULT_RETRY, type RetryEnv, type RetryPolicy, realRetryEnv, withRetry } from './retry.js';
import type { DesiredStateSource, ExtractLimits } from './source.js';
import type { GitlabClient, ProjectRef } from './types.js';
import { assertSha, normalizeSubfolder } from './validate.js';

export interface GitlabSourceOptions {
  client: GitlabClient;
  project: ProjectRef;
  subfolder: string;
  limits?: ExtractLimits;
  /** Retries of a whole download+extract cut mid-stream (each request also retries on its own). */
  retry?: Partial<RetryPolicy>;
  retryEnv?: Partial<RetryEnv>;
}

/** The desired state in a GitLab project: archive downloads restricted to the subfolder (`path=`). */
export function createGitlabSource(options: GitlabSourceOptions): DesiredStateSource {
  const { client, project } = options;
  const subfolder = normalizeSubfolder(options.subfolder);
  const policy: RetryPolicy = { ...DEFAULT_RETRY, attempts: 3, ...options.retry };
  const env: RetryEnv = { ...realRetryEnv, ...options.retryEnv };
  return {
    describe: () => `gitlab ${client.apiUrl} project ${project} subfolder ${subfolder}`,
    defaultBranchHead: () => client.defaultBranchHead(project),
    async resolveCommit(sha) {
      assertSha(sha);
      const commit = await client.findCommit(project, sha);
      return commit?.sha.startsWith(sha) ? commit.sha : null;
    },
    isOnDefaultBranch: (sha) => client.isOnDefaultBranch(project, sha),
    async fetchSubfolder(sha, stagingDir) {
      assertSha(sha);
      return withRetry(
        async () => {
          const stream = await client.downloadArchive(project, { sha, path: subfolder });
          try {
            return await extractSubfolderArchive(stream, { stagingDir, subfolder, ...options.limits });
          } finally {
            stream.destroy();
          }
        },
        policy,
        env,
        (error) => ({ transient: error instanceof GitlabClientError && error.transient }),
      );
    },
  };
}
