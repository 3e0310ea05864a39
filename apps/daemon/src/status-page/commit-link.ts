import { hostFromApiUrl } from '@stow/gitlab-client/api-url';
import type { DaemonConfig } from '@stow/manifest';

/** A full commit sha (SHA-1, or SHA-256 for a repository in that object format). */
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A project path as daemon.yaml names it (`ops/deployments`); a numeric id has no web page path. */
const PROJECT_PATH = /^[\w.-]+(?:\/[\w.-]+)+$/;

/** The web page of a commit, or undefined when the source has none (a plain git repository). */
export type CommitLinker = (sha: string) => string | undefined;

/**
 * GitLab's page of a commit: `<web base>/<project path>/-/commit/<sha>`. The web base is the API URL
 * without `/api/v4` (hostFromApiUrl). Project pages live under the `/-/` scope
 * (https://docs.gitlab.com/development/routing/#project-routes), and the Commits API's own
 * `web_url` has this form (https://docs.gitlab.com/api/commits/#get-a-single-commit).
 * A git repository source and a GitLab project named by numeric id get no link; neither does
 * anything but a full sha (a value from disk is never trusted into an href).
 */
export function commitLinker(source: DaemonConfig['source'] | undefined): CommitLinker {
  if (source?.kind !== 'gitlab' || !PROJECT_PATH.test(source.project)) return () => undefined;
  let base: string;
  try {
    base = hostFromApiUrl(source.apiUrl);
  } catch {
    return () => undefined; // daemon.yaml validation refuses such a URL; the page then just has no links
  }
  const project = source.project.split('/').map(encodeURIComponent).join('/');
  return (sha) => (FULL_SHA.test(sha) ? `${base}/${project}/-/commit/${sha}` : undefined);
}
