import { z } from 'zod';
import { CONVERGENCE_STATES } from './status-of.js';

/** A commit sha as the API takes it: 7 to 40 hex digits, case-insensitive (kept lowercase). */
export const commitSha = z
  .string()
  .regex(/^[0-9a-fA-F]{7,40}$/, 'must be a commit sha of 7 to 40 hex digits')
  .transform((sha) => sha.toLowerCase());

export const errorBody = z.object({
  error: z.string(),
  code: z.string(),
});

const nullableString = z.string().nullable();

export const statusReport = z.object({
  head_hash: nullableString,
  state: z.enum(CONVERGENCE_STATES as [string, ...string[]]),
  expected_deployment_hash: nullableString,
  running_deployment_hash: nullableString,
  running_git_revision: nullableString,
  reconcile: z
    .object({
      id: z.string(),
      trigger: z.string(),
      state: z.enum(['running', 'finished']),
      started_at: z.string(),
      finished_at: nullableString,
      outcome: nullableString,
      reason: nullableString,
      target_git_revision: nullableString,
      target_deployment_hash: nullableString,
      /** The jobs the run ran: exit_code null when one was killed at its timeout or never started. */
      jobs: z
        .array(
          z.object({
            job: z.string(),
            when: z.string(),
            outcome: z.string(),
            exit_code: z.number().nullable(),
            duration_ms: z.number(),
          }),
        )
        .readonly(),
    })
    .nullable(),
  error: z.string().optional(),
});
