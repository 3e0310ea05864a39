import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createQuarantine, createSnapshotStore } from '@stow/snapshot-store';
import type { DockerPlan, DockerSteps, TargetDeployment, VerifyResult } from '../docker-port.js';
import type { DeploymentSource } from '../ports.js';
import type { ReconcileContext } from '../reconcile-context.js';
import { type ReconcileLog, silentLog } from '../reconcile-log.js';

/** A source serving in-memory revisions: sha -> files of the deployment folder. */
export function fakeSource(
  revisions: Map<string, Record<string, string>>,
  head: () => string,
): DeploymentSource {
  return {
    describe: () => 'fake',
    resolveCommit: async (sha) => (revisions.has(sha) ? sha : null),
    isOnDefaultBranch: async (sha) => revisions.has(sha),
    defaultBranchHead: async () => ({ sha: head() }),
    async fetchSubfolder(sha, stagingDir) {
      const files = revisions.get(sha);
      if (!files)
        throw Object.assign(new Error(`unknown revision ${sha}`), { code: 'NOT_FOUND', transient: false });
      for (const [relative, contents] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(stagingDir, relative)), { recursive: true });
        await fs.writeFile(path.join(stagingDir, relative), contents);
      }
    },
  };
}

/** An in-memory Docker: containers by name with the hash they were created for. */
export class FakeDocker implements DockerSteps {
  readonly containers = new Map<string, { deployment: string; hash: string; running: boolean }>();
  readonly applied: string[] = [];
  /** Deployment hashes whose verification fails, with the reason. */
  readonly failVerify = new Map<string, string>();
  failApply: string | undefined;

  async plan(target: TargetDeployment): Promise<DockerPlan> {
    const desired = Object.keys(target.manifest?.containers ?? {});
    const actions: DockerPlan['actions'][number][] = desired.map((name) => {
      const actual = this.containers.get(name);
      if (!actual) return { container: name, action: 'replace', reason: 'missing' };
      if (!actual.running) return { container: name, action: 'replace', reason: 'stopped (exited)' };
      if (actual.hash !== target.deploymentHash)
        return { container: name, action: 'replace', reason: 'stale hash' };
      return { container: name, action: 'noop', reason: 'up to date' };
    });
    for (const [name, actual] of this.containers) {
      if (actual.deployment === target.deploymentName && !desired.includes(name)) {
        actions.push({ container: name, action: 'delete', reason: 'not in stow.yaml' });
      }
    }
    return { actions, unchanged: actions.every((a) => a.action === 'noop') };
  }

  async apply(plan: DockerPlan, target: TargetDeployment): Promise<void> {
    if (this.failApply) throw new Error(this.failApply);
    this.applied.push(target.manifest ? target.deploymentHash : 'nothing');
    for (const action of plan.actions) {
      if (action.action === 'delete') this.containers.delete(action.container);
      if (action.action === 'replace') {
        this.containers.set(action.container, {
          deployment: target.deploymentName,
          hash: target.deploymentHash,
          running: true,
        });
      }
    }
  }

  async verify(target: TargetDeployment): Promise<VerifyResult> {
    const reason = this.failVerify.get(target.deploymentHash);
    return reason ? { ok: false, reason } : { ok: true };
  }
}

export function manifestFiles(name: string, containers: string[], extra: Record<string, string> = {}) {
  const body = containers
    .map((c) => `  ${c}:\n    image: registry.example.com/${c}:1@sha256:${'a'.repeat(64)}\n`)
    .join('');
  return { 'stow.yaml': `deployment:\n  name: ${name}\ncontainers:\n${body}`, ...extra };
}

export function testContext(source: DeploymentSource, docker: FakeDocker, log: ReconcileLog = silentLog()) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'stow-reconcile-'));
  const store = createSnapshotStore(stateDir);
  const context: ReconcileContext = {
    source,
    secrets: { keysFile: undefined, sopsBinary: undefined },
    docker,
    store,
    quarantine: createQuarantine(store.layout.stateFile),
    clock: { now: () => Date.now(), sleep: async () => {} },
    log,
    lockWaitMs: 0,
  };
  return { context, stateDir, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
}
