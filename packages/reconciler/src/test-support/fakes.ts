import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FakeEngine } from '@stow/docker-planner/testing';
import { createQuarantine, createSnapshotStore } from '@stow/snapshot-store';
import { openHistory } from '../history-store.js';
import type { Clock, DeploymentSource } from '../ports.js';
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

export function manifestFiles(name: string, containers: string[], extra: Record<string, string> = {}) {
  const body = containers
    .map((c) => `  ${c}:\n    image: registry.example.com/${c}:1@sha256:${'a'.repeat(64)}\n`)
    .join('');
  return { 'stow.yaml': `deployment:\n  name: ${name}\ncontainers:\n${body}`, ...extra };
}

/** A clock that only moves when someone sleeps: verification windows pass at once. */
export function fakeClock(start = Date.UTC(2026, 3, 28)): Clock {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

/** A context on the real planner, applier and verifier over the in-memory engine. */
export function testContext(source: DeploymentSource, engine: FakeEngine, log: ReconcileLog = silentLog()) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'stow-reconcile-'));
  const store = createSnapshotStore(stateDir);
  const context: ReconcileContext = {
    source,
    secrets: { keysFile: undefined, sopsBinary: undefined },
    engine,
    store,
    quarantine: createQuarantine(store.layout.stateFile),
    history: openHistory(stateDir),
    clock: fakeClock(),
    log,
    lockWaitMs: 0,
  };
  return { context, stateDir, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
}
