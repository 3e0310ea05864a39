/** Exit codes of SPEC section 11: the contract scripts and pipelines rely on. */
export const ExitCode = {
  success: 0,
  /** The deployment failed and the host was rolled back to its previous deployment. */
  deploymentFailed: 1,
  /** Usage, config or input error: nothing was changed. */
  badInput: 2,
  /** The rollback failed too: the host needs attention. */
  rollbackFailed: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
