/** The all-zero sha GitLab gives as CI_COMMIT_BEFORE_SHA for a new branch or the first push. */
export const ZERO_SHA = '0000000000000000000000000000000000000000';

/**
 * Deployment directories = directories holding a `stow.yaml`, from a list of repository paths
 * (`git ls-files`). `.` is the repository root.
 */
export function deploymentDirs(files: readonly string[]): string[] {
  const dirs = files
    .filter((f) => f === 'stow.yaml' || f.endsWith('/stow.yaml'))
    .map((f) => (f === 'stow.yaml' ? '.' : f.slice(0, -'/stow.yaml'.length)));
  return [...new Set(dirs)].sort();
}

/**
 * The deployment directories touched by `changed` paths: each path belongs to the deepest
 * deployment directory containing it (a path outside every deployment directory touches none).
 */
export function changedDeployments(changed: readonly string[], dirs: readonly string[]): string[] {
  const byDepth = [...dirs].sort((a, b) => b.length - a.length);
  const hit = new Set<string>();
  for (const file of changed) {
    const owner = byDepth.find((dir) => dir === '.' || file === dir || file.startsWith(`${dir}/`));
    if (owner !== undefined) hit.add(owner);
  }
  return [...hit].sort();
}
