/**
 * The error classes of stow's packages that mean "the input is bad, nothing was changed" (exit 2).
 * Matched by name and code rather than instanceof so that the CLI loads a package only when a
 * command needs it (startup time matters for `stow hash` in pipelines).
 */
const INPUT_ERROR_NAMES = new Set([
  'ManifestError',
  'ContentHashError',
  'SopsDecryptError',
  'SuggestImageError',
  'TriggerError',
]);

export function isInputError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    INPUT_ERROR_NAMES.has(error.name) &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
