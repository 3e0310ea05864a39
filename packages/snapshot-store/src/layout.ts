import os from 'node:os';
import path from 'node:path';

/**
 * Where stow keeps its state below the state directory (the home of the user running stow, `/root`
 * under systemd, unless daemon.yaml's `stateDir` or `--state-dir` says otherwise):
 *
 *   .stow/snapshots/<deployment_hash>/   one directory per deployed state, with its metadata
 *   .stow/staging/<pid>-<id>/            downloads being prepared; a dead process's are deleted
 *   .stow/lock                           the host lock shared by the CLI and the daemon
 *   .stow/state.json                     outcomes and the quarantine of failed deployment hashes
 *   .stow/history/                       the reconciler's history of reconciles (@stow/reconciler)
 *   running-config -> .stow/snapshots/<hash>
 *   running-config.previous              present only while an apply is in flight
 */
export interface StateLayout {
  readonly stateDir: string;
  readonly stowDir: string;
  readonly snapshotsDir: string;
  readonly stagingDir: string;
  readonly lockFile: string;
  readonly stateFile: string;
  readonly runningConfig: string;
  readonly previousConfig: string;
}

export function stateLayout(stateDir: string = os.homedir()): StateLayout {
  const root = path.resolve(stateDir);
  const stowDir = path.join(root, '.stow');
  return {
    stateDir: root,
    stowDir,
    snapshotsDir: path.join(stowDir, 'snapshots'),
    stagingDir: path.join(stowDir, 'staging'),
    lockFile: path.join(stowDir, 'lock'),
    stateFile: path.join(stowDir, 'state.json'),
    runningConfig: path.join(root, 'running-config'),
    previousConfig: path.join(root, 'running-config.previous'),
  };
}
