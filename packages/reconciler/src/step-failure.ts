import type { ReconcileStep } from './outcome.js';

/** Error names whose failures retrying cannot fix: the input itself is wrong. */
const TERMINAL_ERRORS = new Set(['ManifestError', 'ContentHashError', 'SopsDecryptError']);
/** Codes that make an otherwise transient error terminal (a wrong token does not heal by waiting). */
const TERMINAL_CODES = new Set([
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'NAME_CONFLICT',
  'CONFLICT',
  'ARCHIVE_UNSAFE',
  'ARCHIVE_TOO_LARGE',
]);

/** A failure inside one named step of the pipeline, classified once, here. */
export class StepFailure extends Error {
  override name = 'StepFailure';
  readonly step: ReconcileStep;
  readonly terminal: boolean;

  constructor(step: ReconcileStep, cause: unknown) {
    super(reasonOf(cause), { cause });
    this.step = step;
    this.terminal = isTerminal(cause);
  }
}

/** Runs one step; whatever it throws becomes a StepFailure naming the step. */
export async function step<T>(name: ReconcileStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw error instanceof StepFailure ? error : new StepFailure(name, error);
  }
}

function isTerminal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Errors that know whether waiting helps (GitLab: 429/5xx/timeouts are transient) say so themselves.
  const transient = (error as { transient?: unknown }).transient;
  if (typeof transient === 'boolean') return !transient;
  const code = (error as { code?: unknown }).code;
  return TERMINAL_ERRORS.has(error.name) || (typeof code === 'string' && TERMINAL_CODES.has(code));
}

const MAX_REASON = 2000;

/** One line for status and logs (package errors never carry secrets); several issues joined by "; ". */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join('; ');
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line || 'unknown error';
}
