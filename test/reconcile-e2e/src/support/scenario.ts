import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDaemonConfig } from '@stow/manifest';
import {
  createReconcileContext,
  jsonLinesLog,
  type ReconcileContext,
  type ReconcileOutcome,
  type ReconcileRequest,
  runReconcile,
} from '@stow/reconciler';
import { loadTestHost, type TestHost } from '@stow/test-host';
import type Dockerode from 'dockerode';
import { DeploymentRepo } from './deployment-repo.js';

/**
 * One end-to-end scenario: a deployment repository, a state directory and a daemon.yaml of its own,
 * a unique deployment and container-name prefix, and cleanup of every container it made.
 */
export class Scenario {
  readonly id = randomBytes(3).toString('hex');
  readonly deployment = `e2e-${this.id}`;
  readonly repo = new DeploymentRepo();
  readonly stateDir = mkdtempSync(path.join(tmpdir(), 'stow-e2e-state-'));
  readonly configFile = path.join(this.stateDir, 'daemon.yaml');
  readonly logLines: string[] = [];
  host!: TestHost;
  context!: ReconcileContext;

  async start(extraConfig = ''): Promise<this> {
    this.host = await loadTestHost();
    const text = `gitRepository: ${this.repo.dir}\nbranch: main\nsubfolder: ${this.repo.subfolder}\nstateDir: ${this.stateDir}\n${extraConfig}`;
    writeFileSync(this.configFile, text);
    const config = parseDaemonConfig(text, this.configFile);
    this.context = await createReconcileContext(config, {
      stateDir: this.stateDir,
      verifyPollMs: 250,
      log: jsonLinesLog((line) => this.logLines.push(line)),
    });
    return this;
  }

  get docker(): Dockerode {
    return this.host.docker;
  }

  /** A container name unique to this scenario. */
  name(base: string): string {
    return `${base}-${this.id}`;
  }

  image(name: keyof TestHost['images']): string {
    return this.host.images[name].pinned;
  }

  reconcile(request: Partial<ReconcileRequest> = {}): Promise<ReconcileOutcome> {
    return runReconcile(this.context, { trigger: 'manual', ...request });
  }

  /** Containers labelled with this scenario's deployment, by their stow.container label. */
  async managed(): Promise<Map<string, Dockerode.ContainerInfo>> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`stow.deployment=${this.deployment}`] },
    });
    return new Map(list.map((c) => [c.Labels['stow.container'] ?? '', c]));
  }

  async inspect(name: string) {
    return this.docker.getContainer(name).inspect();
  }

  async cleanup(): Promise<void> {
    const list = await this.docker.listContainers({ all: true });
    for (const container of list) {
      const owned =
        container.Labels['stow.deployment'] === this.deployment ||
        container.Names.some((n) => n.endsWith(`-${this.id}`));
      if (owned)
        await this.docker
          .getContainer(container.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    for (const network of await this.docker.listNetworks()) {
      if (network.Labels?.['stow.deployment'] === this.deployment || network.Name.endsWith(`-${this.id}`)) {
        await this.docker
          .getNetwork(network.Id)
          .remove()
          .catch(() => undefined);
      }
    }
    this.repo.remove();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
