import { GitlabClientError } from './errors.js';

const SHA = /^[0-9a-f]{7,40}$/;
const FULL_SHA = /^[0-9a-f]{40}$/;

/** Throws INVALID_ARGUMENT unless `sha` is 7..40 lowercase hex (40 when `full`). */
export function assertSha(sha: string, full = false): void {
  if (!(full ? FULL_SHA : SHA).test(sha)) {
    throw new GitlabClientError(
      'INVALID_ARGUMENT',
      `"${sha.slice(0, 80)}" is not a commit sha (${full ? '40' : '7 to 40'} hex characters)`,
    );
  }
}

export function isSha(sha: string): boolean {
  return SHA.test(sha);
}

/**
 * A repository subfolder as `a/b` (no leading or trailing slash): relative, no `..`, no empty or
 * `.` components, no component starting with `-`, no backslash or control characters.
 */
export function normalizeSubfolder(subfolder: string): string {
  const parts = subfolder.split('/').filter((p) => p !== '' && p !== '.');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  const bad = /[\u0000-\u001f\\]/;
  if (
    subfolder.startsWith('/') ||
    parts.length === 0 ||
    parts.some((p) => p === '..' || p.startsWith('-') || bad.test(p))
  ) {
    throw new GitlabClientError(
      'INVALID_ARGUMENT',
      `subfolder "${subfolder}" must be a relative path inside the repository`,
    );
  }
  return parts.join('/');
}
