import { GitlabClientError } from './errors.js';
import { extractSubfolderArchive } from './extract.js';
import { createPacer } from './pacer.js';
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
  /**
   * Archive downloads paced to this many in any minute; unpaced when absent. GitLab allows 5 per user
   * and project (`project_repositories_archive` in lib/gitlab/application_rate_limiter.rb, documented
   * for the archive endpoint by https://gitlab.com/gitlab-org/gitlab/-/merge_requests/30668).
   */
  archivesPerMinute?: number;
}

/** The desired state in a GitLab project: archive downloads restricted to the subfolder (`path=`). */
export function createGitlabSource(options: GitlabSourceOptions): DesiredStateSource {
  const { client, project } = options;
  const subfolder = normalizeSubfolder(options.subfolder);
  const policy: RetryPolicy = { ...DEFAULT_RETRY, attempts: 3, ...options.retry };
  const env: RetryEnv = { ...realRetryEnv, ...options.retryEnv };
  const pacer =
    options.archivesPerMinute === undefined ? undefined : createPacer(options.archivesPerMinute, env);
  const missing = (sha: string) =>
    new GitlabClientError('NOT_FOUND', `subfolder ${subfolder} does not exist at ${sha}`, {
      entry: subfolder,
    });
  const subfolderExists = async (sha: string) =>
    (await client.listTree(project, { ref: sha, path: subfolder, recursive: false })).length > 0;
  /**
   * An archive with nothing in it, or one that ends early. GitLab answers both with a 200: a path
   * the commit does not have makes Gitaly's GetArchive fail after Workhorse sent the 200 (an empty
   * body), and a Gitaly failure mid-stream cuts the body short ("we're stuck always returning a
   * HTTP 200, even if io.Copy() errors": workhorse/internal/git/archive.go). The tree tells them
   * apart: a missing subfolder is terminal, a short archive is worth another try.
   */
  const emptyOrShort = (error: unknown) =>
    error instanceof GitlabClientError &&
    error.endpoint === undefined &&
    (error.code === 'ARCHIVE_CORRUPT' || (error.code === 'NOT_FOUND' && error.entry === subfolder));
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
          await pacer?.turn();
          const stream = await client.downloadArchive(project, { sha, path: subfolder });
          try {
            return await extractSubfolderArchive(stream, { stagingDir, subfolder, ...options.limits });
          } catch (error) {
            if (!emptyOrShort(error)) throw error;
            if (!(await subfolderExists(sha))) throw missing(sha);
            throw new GitlabClientError(
              'SERVER_ERROR',
              `the archive of ${subfolder} at ${sha} ended early (GitLab failed while sending it)`,
              { cause: error },
            );
          } finally {
            stream.destroy();
          }
        },
        policy,
        env,
        // A 429 already waited for GitLab's next window inside the request; a short archive is
        // retried here with a fresh download.
        (error) => ({
          transient: error instanceof GitlabClientError && error.transient && error.code !== 'RATE_LIMITED',
        }),
      );
    },
    async listSubfolder(sha) {
      assertSha(sha);
      const prefix = `${subfolder}/`;
      const entries = await client.listTree(project, { ref: sha, path: subfolder, recursive: true });
      const files = entries
        .filter((entry) => entry.type !== 'tree' && entry.path.startsWith(prefix))
        .map((entry) => ({ path: entry.path.slice(prefix.length), blobId: entry.id, mode: entry.mode }));
      if (files.length === 0) throw missing(sha);
      return files;
    },
    readSubfolderFile(sha, path) {
      assertSha(sha);
      return client.readRawFile(project, `${subfolder}/${path}`, sha);
    },
  };
}
