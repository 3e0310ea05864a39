import path from 'node:path';

/**
 * Why `text` is not a path confined to the deployment folder, or undefined when it is. Confined means
 * relative, `/`-separated, normalised, and never climbing out with `..`. (Symlinks are refused for the
 * whole tree by the hasher, so a confined path can never leave the snapshot.)
 */
export function deploymentPathProblem(text: string): string | undefined {
  if (text === '') return 'must not be empty';
  if (text.includes('\0')) return 'must not contain NUL bytes';
  if (text.includes('\\')) return 'must use / as separator, not \\';
  if (path.posix.isAbsolute(text)) return 'must be relative to the deployment folder, not absolute';
  if (text.split('/').includes('..')) return 'must stay inside the deployment folder (no ..)';
  if (path.posix.normalize(text) !== text || text === '.' || text.endsWith('/')) {
    return `must be a normalised path like ${path.posix.normalize(text).replace(/\/$/, '') || 'config/file.conf'}`;
  }
  return undefined;
}
