import type { OutcomeWarning, ReconcileStep } from './outcome.js';
import type { ReconcileContext } from './reconcile-context.js';
import { reasonOf } from './step-failure.js';

/** Runs bookkeeping steps in order; a failure is logged and returned as a warning, never thrown. */
export async function bookkeeping(
  context: Pick<ReconcileContext, 'log'>,
  steps: ReadonlyArray<readonly [ReconcileStep, () => Promise<unknown>]>,
): Promise<OutcomeWarning[]> {
  const warnings: OutcomeWarning[] = [];
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (error) {
      warnings.push(warn(context, name, reasonOf(error)));
    }
  }
  return warnings;
}

/** Logs one bookkeeping problem and returns it as the warning the outcome carries. */
export function warn(
  context: Pick<ReconcileContext, 'log'>,
  step: ReconcileStep,
  reason: string,
): OutcomeWarning {
  const warning = { step, reason };
  context.log.log('warn', 'bookkeeping failed; the outcome stands', { ...warning });
  return warning;
}

export const withWarnings = (warnings: readonly OutcomeWarning[]) =>
  warnings.length > 0 ? { warnings } : {};
