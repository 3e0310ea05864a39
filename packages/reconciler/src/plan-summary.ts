/** The `--plan-json` shape of SPEC section 11. */
export interface PlanSummary {
  readonly git_revision: string;
  readonly deployment: string;
  readonly manifest_hash: string;
  readonly config_hash: string;
  readonly secrets_hash: string;
  readonly deployment_hash: string;
  readonly actions: ReadonlyArray<{
    readonly container: string;
    readonly action: 'noop' | 'replace' | 'delete';
    readonly reason: string;
  }>;
  /** The jobs of stow.yaml in file order: `run` when this reconcile applies the deployment, else `skip`. */
  readonly jobs: ReadonlyArray<{
    readonly job: string;
    readonly action: 'run' | 'skip';
    readonly when: 'beforeApply' | 'afterVerify';
  }>;
}
