import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SnapshotStoreError } from './errors.js';
import { ioError, readLink, replaceSymlink, writeFileAtomic } from './fs-util.js';
import { type AcquireOptions, acquireHostLock, type HostLock, processIsAlive } from './host-lock.js';
import { type StateLayout, stateLayout } from './layout.js';
import { METADATA_FILES, metadataFromJson, metadataToJson, type SnapshotMetadata } from './metadata.js';

const HASH = /^[0-9a-f]{64}$/;
/** Target of `running-config.previous` during a host's first apply: there is nothing to go back to. */
const NOTHING_BEFORE = 'nothing-before-first-deploy';

/** What a running-config link points at. */
export type SnapshotRef = {
  readonly kind: 'snapshot';
  readonly deploymentHash: string;
  readonly dir: string;
};
export type PreviousRef = SnapshotRef | { readonly kind: 'nothing' };

export interface CommitInput {
  readonly stagingDir: string;
  readonly metadata: SnapshotMetadata;
  /** The manifest as applied, with resolved paths; written as `.stow-rendered-manifest.yaml`. */
  readonly renderedManifest: string;
}

export interface SnapshotStore {
  readonly layout: StateLayout;
  /**
   * Creates the state directories (0700) and deletes staging leftovers: directories of processes that
   * are gone (kill -9, power loss), never a download another live process is running.
   */
  prepare(): Promise<void>;
  lock(options: AcquireOptions): Promise<HostLock>;
  /** A fresh, empty staging directory for one download. */
  createStaging(): Promise<string>;
  discardStaging(dir: string): Promise<void>;
  /** Moves the staged tree to snapshots/<hash> (reusing an existing one) and writes its metadata. */
  commit(input: CommitInput): Promise<SnapshotRef>;
  running(): Promise<SnapshotRef | undefined>;
  /** Present only while an apply is in flight (or was interrupted). */
  previous(): Promise<PreviousRef | undefined>;
  /** running-config -> running-config.previous, then running-config -> the snapshot, atomically. */
  switchTo(deploymentHash: string): Promise<void>;
  /** The apply verified: forget running-config.previous. */
  confirm(): Promise<void>;
  /** Puts running-config.previous back as running-config; returns what is running now. */
  restorePrevious(): Promise<PreviousRef>;
  readMetadata(ref: SnapshotRef): Promise<SnapshotMetadata>;
  readRenderedManifest(ref: SnapshotRef): Promise<string>;
  /** Deletes snapshots not referenced by running or previous, keeping the newest `keep` (default 5). */
  collectGarbage(keep?: number): Promise<string[]>;
}

export interface SnapshotStoreOptions {
  /** For tests: is this process alive? (decides whose staging directories are leftovers) */
  readonly isAlive?: (pid: number) => boolean;
}

/**
 * Staging directories this process is using. A reconcile and the daemon's commit resolutions (several
 * at once, without the host lock) share `.stow/staging/`: a leftover is a directory of a process that
 * is gone, or one of ours nobody uses any more (its removal failed), never another download in flight.
 */
const stagingInUse = new Set<string>();

function isStagingLeftover(dir: string, name: string, isAlive: (pid: number) => boolean): boolean {
  const owner = /^(\d+)-\d+-[0-9a-f]+$/.exec(name);
  // No pid: written by an older stow (which deleted every entry at start), or not ours at all.
  if (!owner) return true;
  const pid = Number(owner[1]);
  if (pid === process.pid) return !stagingInUse.has(dir);
  return !isAlive(pid);
}

export function createSnapshotStore(stateDir?: string, options: SnapshotStoreOptions = {}): SnapshotStore {
  const layout = stateLayout(stateDir);
  const isAlive = options.isAlive ?? processIsAlive;
  const snapshotDir = (hash: string) => path.join(layout.snapshotsDir, hash);
  const linkTarget = (hash: string) => path.relative(layout.stateDir, snapshotDir(hash));

  const resolveRef = async (link: string): Promise<PreviousRef | undefined> => {
    const target = await readLink(link);
    if (target === undefined) return undefined;
    if (target === NOTHING_BEFORE) return { kind: 'nothing' };
    const hash = path.basename(target);
    if (!HASH.test(hash)) {
      throw new SnapshotStoreError('BAD_STATE', `${link} points at ${target}, which is not a stow snapshot`, {
        path: link,
      });
    }
    return { kind: 'snapshot', deploymentHash: hash, dir: snapshotDir(hash) };
  };

  const store: SnapshotStore = {
    layout,

    async prepare() {
      for (const dir of [layout.stateDir, layout.stowDir, layout.snapshotsDir, layout.stagingDir]) {
        await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((cause: unknown) => {
          throw ioError(`cannot create ${dir}`, dir, cause);
        });
      }
      await fs.chmod(layout.stowDir, 0o700);
      for (const name of await fs.readdir(layout.stagingDir)) {
        const dir = path.join(layout.stagingDir, name);
        if (isStagingLeftover(dir, name, isAlive)) await fs.rm(dir, { recursive: true, force: true });
      }
    },

    lock: (options) => acquireHostLock(layout.lockFile, options),

    async createStaging() {
      // The pid in the name tells whose it is: prepare() leaves a live process's downloads alone.
      const name = `${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
      const dir = path.join(layout.stagingDir, name);
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      stagingInUse.add(dir);
      return dir;
    },

    async discardStaging(dir) {
      if (path.dirname(dir) !== layout.stagingDir) throw new Error(`not a staging directory: ${dir}`);
      await fs.rm(dir, { recursive: true, force: true });
      stagingInUse.delete(dir);
    },

    async commit({ stagingDir, metadata, renderedManifest }) {
      const hash = metadata.deploymentHash;
      if (!HASH.test(hash)) throw new SnapshotStoreError('BAD_STATE', `not a deployment hash: ${hash}`);
      const dir = snapshotDir(hash);
      if (await isComplete(dir)) {
        // Same content, maybe from another commit: keep the tree, refresh the metadata (file by file,
        // each atomic, so a failure leaves it complete).
        await store.discardStaging(stagingDir);
        await writeMetadata(dir, metadata, renderedManifest);
        return { kind: 'snapshot', deploymentHash: hash, dir };
      }
      // The tree gets its metadata while still in staging and appears under snapshots/ complete, by one
      // rename: a full disk or a crash leaves nothing there that looks like a snapshot.
      try {
        await restrictPermissions(stagingDir, new Set(metadata.secretFiles));
        await writeMetadata(stagingDir, metadata, renderedManifest);
      } catch (cause) {
        // Name the snapshot an operator looks for, beside the file that could not be written.
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new SnapshotStoreError('IO_FAILED', `cannot write snapshot ${dir}: ${reason}`, {
          path: dir,
          cause,
        });
      }
      // A directory without its metadata is a half-written snapshot of an older stow: replaced.
      await fs.rm(dir, { recursive: true, force: true }).catch((cause: unknown) => {
        throw ioError(`cannot remove the incomplete snapshot ${dir}`, dir, cause);
      });
      await fs.rename(stagingDir, dir).catch((cause: unknown) => {
        throw ioError(`cannot move ${stagingDir} to ${dir}`, dir, cause);
      });
      stagingInUse.delete(stagingDir);
      return { kind: 'snapshot', deploymentHash: hash, dir };
    },

    async running() {
      const ref = await resolveRef(layout.runningConfig);
      if (ref?.kind === 'nothing') {
        throw new SnapshotStoreError('BAD_STATE', `${layout.runningConfig} is not a snapshot link`, {
          path: layout.runningConfig,
        });
      }
      return ref;
    },

    previous: () => resolveRef(layout.previousConfig),

    async switchTo(hash) {
      if (await readLink(layout.previousConfig)) {
        throw new SnapshotStoreError(
          'INTERRUPTED_APPLY',
          `${layout.previousConfig} exists: an earlier apply did not finish; recover (roll back) before applying`,
          { path: layout.previousConfig },
        );
      }
      await fs.stat(snapshotDir(hash)).catch((cause: unknown) => {
        throw new SnapshotStoreError('SNAPSHOT_MISSING', `no snapshot ${hash} to switch to`, { cause });
      });
      const current = await readLink(layout.runningConfig);
      // The previous link is made before running-config changes, so a crash at any point leaves either
      // the old state or a recoverable in-flight one (previous present).
      await replaceSymlink(layout.previousConfig, current ?? NOTHING_BEFORE);
      await replaceSymlink(layout.runningConfig, linkTarget(hash));
    },

    async confirm() {
      await fs.rm(layout.previousConfig, { force: true });
    },

    async restorePrevious() {
      const previous = await resolveRef(layout.previousConfig);
      if (!previous) {
        throw new SnapshotStoreError(
          'NO_PREVIOUS',
          `${layout.previousConfig} does not exist: nothing to restore`,
        );
      }
      if (previous.kind === 'nothing') {
        await fs.rm(layout.runningConfig, { force: true });
        await fs.rm(layout.previousConfig, { force: true });
      } else {
        await fs.rename(layout.previousConfig, layout.runningConfig).catch((cause: unknown) => {
          throw ioError(`cannot restore ${layout.previousConfig}`, layout.previousConfig, cause);
        });
      }
      return previous;
    },

    async readMetadata(ref) {
      const file = path.join(ref.dir, METADATA_FILES.snapshot);
      try {
        return metadataFromJson(await fs.readFile(file, 'utf8'));
      } catch (cause) {
        throw new SnapshotStoreError('BAD_STATE', `cannot read snapshot metadata ${file}`, {
          path: file,
          cause,
        });
      }
    },

    async readRenderedManifest(ref) {
      const file = path.join(ref.dir, METADATA_FILES.renderedManifest);
      return fs.readFile(file, 'utf8').catch((cause: unknown) => {
        throw new SnapshotStoreError('SNAPSHOT_MISSING', `cannot read ${file}`, { path: file, cause });
      });
    },

    async collectGarbage(keep = 5) {
      const protectedHashes = new Set<string>();
      for (const ref of [await resolveRef(layout.runningConfig), await resolveRef(layout.previousConfig)]) {
        if (ref?.kind === 'snapshot') protectedHashes.add(ref.deploymentHash);
      }
      const entries = await Promise.all(
        (await fs.readdir(layout.snapshotsDir))
          .filter((name) => HASH.test(name))
          .map(async (name) => ({ name, mtimeMs: (await fs.stat(snapshotDir(name))).mtimeMs })),
      );
      entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
      const removed: string[] = [];
      for (const [index, entry] of entries.entries()) {
        if (protectedHashes.has(entry.name) || index < keep) continue;
        await fs.rm(snapshotDir(entry.name), { recursive: true, force: true });
        removed.push(entry.name);
      }
      return removed;
    },
  };
  return store;
}

/** The five metadata files; `.stow-snapshot.json`, the mark of a complete snapshot, last. */
async function writeMetadata(
  dir: string,
  metadata: SnapshotMetadata,
  renderedManifest: string,
): Promise<void> {
  await writeFileAtomic(path.join(dir, METADATA_FILES.gitRevision), `${metadata.gitRevision}\n`, 0o644);
  await writeFileAtomic(path.join(dir, METADATA_FILES.deploymentHash), `${metadata.deploymentHash}\n`, 0o644);
  await writeFileAtomic(path.join(dir, METADATA_FILES.deploymentName), `${metadata.deploymentName}\n`, 0o644);
  // The rendered manifest may carry values from decrypted env files: root only.
  await writeFileAtomic(path.join(dir, METADATA_FILES.renderedManifest), renderedManifest, 0o600);
  await writeFileAtomic(path.join(dir, METADATA_FILES.snapshot), metadataToJson(metadata), 0o644);
}

/** A snapshot directory with every metadata file (an older stow wrote them after the rename). */
async function isComplete(dir: string): Promise<boolean> {
  for (const file of Object.values(METADATA_FILES)) {
    const present = await fs.stat(path.join(dir, file)).then(
      (stat) => stat.isFile(),
      () => false,
    );
    if (!present) return false;
  }
  return true;
}

/**
 * A snapshot's root is 0700, so no other host user can reach into it. Decrypted secret files are 0600.
 * Other files stay 0644 and directories 0755: containers running as a non-root user must still read the
 * config files bound into them (bind mounts check the file's own mode, not its parents').
 */
async function restrictPermissions(root: string, secretFiles: ReadonlySet<string>): Promise<void> {
  const walk = async (dir: string, relative: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await fs.chmod(full, 0o755);
        await walk(full, rel);
      } else if (entry.isFile()) {
        const executable = ((await fs.stat(full)).mode & 0o111) !== 0;
        await fs.chmod(full, secretFiles.has(rel) ? 0o600 : executable ? 0o755 : 0o644);
      }
    }
  };
  await walk(root, '');
  await fs.chmod(root, 0o700);
}
