import path from 'node:path';
import type { DeploymentHashes } from '@stow/content-hasher';
import type { Plan } from '@stow/docker-planner';
import { readStowManifest, type StowManifest } from '@stow/manifest';
import type { SnapshotRef } from '@stow/snapshot-store';
import type { PlanSummary } from './plan-summary.js';
import type { ReconcileContext } from './reconcile-context.js';
import { checkReferencedFiles } from './referenced-files.js';
import { renderManifest } from './rendered-manifest.js';
import { decryptAndHash } from './secrets.js';
import { step } from './step-failure.js';
import type { TargetDeployment } from './target.js';

/** A revision downloaded, decrypted, hashed and validated in a staging directory: nothing applied yet. */
export interface PreparedRevision {
  readonly gitRevision: string;
  readonly stagingDir: string;
  readonly hashes: DeploymentHashes;
  readonly manifest: StowManifest;
}

/** fetch -> decrypt -> hash -> load stow.yaml, check its files. Throws StepFailure; the caller owns staging. */
export async function prepareRevision(
  context: Pick<ReconcileContext, 'source' | 'secrets' | 'log'>,
  gitRevision: string,
  stagingDir: string,
): Promise<PreparedRevision> {
  const { source, secrets, log } = context;
  await step('fetch', () => source.fetchSubfolder(gitRevision, stagingDir));
  log.log('info', 'fetched desired state', { git_revision: gitRevision, source: source.describe() });
  const hashes = await step('decrypt', () => decryptAndHash(stagingDir, secrets));
  const manifest = await step('manifest', () => readStowManifest(path.join(stagingDir, 'stow.yaml')));
  await step('manifest', () => checkReferencedFiles(stagingDir, manifest));
  log.log('info', 'desired state hashed', {
    deployment: manifest.deployment.name,
    deployment_hash: hashes.deploymentHash,
    secret_files: hashes.secretFiles,
  });
  return { gitRevision, stagingDir, hashes, manifest };
}

export function targetOf(
  manifest: StowManifest,
  deploymentHash: string,
  snapshotDir: string,
): TargetDeployment {
  return { deploymentName: manifest.deployment.name, deploymentHash, manifest, snapshotDir };
}

/** The `--plan-json` shape; `applies`: this reconcile applies the deployment (so its jobs run). */
export function summarise(prepared: PreparedRevision, plan: Plan, applies: boolean): PlanSummary {
  return {
    git_revision: prepared.gitRevision,
    deployment: prepared.manifest.deployment.name,
    manifest_hash: prepared.hashes.manifestHash,
    config_hash: prepared.hashes.configHash,
    secrets_hash: prepared.hashes.secretsHash,
    deployment_hash: prepared.hashes.deploymentHash,
    actions: plan.actions.map(({ container, action, reason }) => ({ container, action, reason })),
    jobs: Object.entries(prepared.manifest.jobs).map(([job, spec]) => ({
      job,
      action: applies ? 'run' : 'skip',
      when: spec.when,
    })),
  };
}

/** Moves the staged tree into its snapshot with the five metadata files. */
export async function commitSnapshot(
  context: ReconcileContext,
  prepared: PreparedRevision,
): Promise<SnapshotRef> {
  const { store, clock } = context;
  const hash = prepared.hashes.deploymentHash;
  return step('snapshot', () =>
    store.commit({
      stagingDir: prepared.stagingDir,
      metadata: {
        deploymentName: prepared.manifest.deployment.name,
        gitRevision: prepared.gitRevision,
        createdAt: new Date(clock.now()).toISOString(),
        manifestHash: prepared.hashes.manifestHash,
        configHash: prepared.hashes.configHash,
        secretsHash: prepared.hashes.secretsHash,
        deploymentHash: hash,
        secretFiles: prepared.hashes.secretFiles,
      },
      renderedManifest: renderManifest({
        deploymentHash: hash,
        gitRevision: prepared.gitRevision,
        snapshotDir: path.join(store.layout.snapshotsDir, hash),
        manifest: prepared.manifest,
      }),
    }),
  );
}
