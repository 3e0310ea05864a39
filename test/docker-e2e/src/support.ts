import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApplyResult, DockerEngine, Plan } from '@stow/docker-planner';
import {
  applyPlan,
  createDockerEngine,
  LABEL_DEPLOYMENT,
  observeActual,
  plan,
  readDockerConfigAuth,
  toCreateOptions,
} from '@stow/docker-planner';
import type { ContainerSpec } from '@stow/manifest';
import type { VerifyOutcome } from '@stow/rollout-verifier';
import { observeContainers, verifyRollout } from '@stow/rollout-verifier';
import type { TestHost } from '@stow/test-host';

export const TEST_LABEL = { 'stow.test': 'docker-e2e' };

/** A 64-hex deployment hash for a test revision. */
export function fakeHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export interface Revision {
  readonly hash: string;
  readonly containers: Record<string, ContainerSpec>;
  readonly networks?: Record<string, { internal?: boolean; driver?: string }>;
}

/** One test deployment: a unique name, its snapshot dir, and what it left on the engine for cleanup. */
export class E2eDeployment {
  readonly name: string;
  readonly engine: DockerEngine;
  snapshotDir = '';

  constructor(
    readonly host: TestHost,
    label: string,
  ) {
    this.name = `e2e-${label}-${randomBytes(3).toString('hex')}`;
    this.engine = createDockerEngine(host.docker, { callTimeoutMs: 30_000, pullTimeoutMs: 60_000 });
  }

  async makeSnapshotDir(): Promise<string> {
    this.snapshotDir = await mkdtemp(path.join(os.tmpdir(), `stow-${this.name}-`));
    return this.snapshotDir;
  }

  /** Container name on the host for a short name: unique per test run. */
  c(short: string): string {
    return `${this.name}-${short}`;
  }

  async plan(revision: Revision): Promise<Plan> {
    return plan(
      {
        deploymentName: this.name,
        deploymentHash: revision.hash,
        containers: Object.keys(revision.containers),
        networks: revision.networks ?? {},
      },
      await observeActual(this.engine),
    );
  }

  async apply(revision: Revision): Promise<{ plan: Plan; result: ApplyResult }> {
    const planned = await this.plan(revision);
    const context = {
      deploymentName: this.name,
      deploymentHash: revision.hash,
      snapshotDir: this.snapshotDir || os.tmpdir(),
      envFromFiles: {},
    };
    const bodies = Object.fromEntries(
      Object.entries(revision.containers).map(([name, spec]) => [
        name,
        toCreateOptions(name, { ...spec, labels: { ...spec.labels, ...TEST_LABEL } }, context),
      ]),
    );
    const result = await applyPlan(planned, bodies, this.engine, {
      registryAuth: await readDockerConfigAuth(),
    });
    return { plan: planned, result };
  }

  verify(revision: Revision, stableMs: number, timeoutMs: number): Promise<VerifyOutcome> {
    const containers = Object.keys(revision.containers);
    return verifyRollout({
      observe: observeContainers(this.engine, containers),
      stableMs,
      timeoutMs,
      pollMs: 500,
      expected: { deploymentName: this.name, deploymentHash: revision.hash, containers },
    });
  }

  /** Removes every container and network of this deployment, and the snapshot dir. */
  async cleanup(): Promise<void> {
    const docker = this.host.docker;
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_DEPLOYMENT}=${this.name}`] },
    });
    await Promise.all(
      containers.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
    );
    const networks = await docker.listNetworks({ filters: { label: [`${LABEL_DEPLOYMENT}=${this.name}`] } });
    await Promise.all(
      networks.map((n) =>
        docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => {}),
      ),
    );
    if (this.snapshotDir) await rm(this.snapshotDir, { recursive: true, force: true });
  }
}

/** Removes whatever a test run left behind that carries the test label (containers created by hand too). */
export async function removeLabelled(host: TestHost): Promise<void> {
  const docker = host.docker;
  const containers = await docker.listContainers({ all: true, filters: { label: ['stow.test=docker-e2e'] } });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
}
