import path from 'node:path';
import { type StowManifest, stowManifestSchema } from '@stow/manifest';
import { parse, stringify } from 'yaml';

/**
 * `.stow-rendered-manifest.yaml`: the manifest exactly as applied, with the paths it references resolved
 * into the snapshot. A rollback applies this file, not a fresh parse of stow.yaml, so what comes back is
 * what ran before.
 */
export interface RenderedManifest {
  readonly deploymentHash: string;
  readonly gitRevision: string;
  readonly snapshotDir: string;
  readonly manifest: StowManifest;
}

export function renderManifest(rendered: RenderedManifest): string {
  const resolved = Object.fromEntries(
    Object.entries(rendered.manifest.containers).map(([name, container]) => [
      name,
      {
        envFiles: (container.envFiles ?? []).map((file) => path.join(rendered.snapshotDir, file)),
        mountSources: (container.mounts ?? []).flatMap((mount) =>
          mount.source === undefined ? [] : [path.join(rendered.snapshotDir, mount.source)],
        ),
      },
    ]),
  );
  return `# Rendered by stow: the manifest as applied. Do not edit.\n${stringify({
    stowRenderedManifest: 1,
    deploymentHash: rendered.deploymentHash,
    gitRevision: rendered.gitRevision,
    snapshotDir: rendered.snapshotDir,
    resolved,
    manifest: rendered.manifest,
  })}`;
}

export function parseRenderedManifest(text: string, file: string): RenderedManifest {
  const data = parse(text) as Record<string, unknown> | null;
  const manifest = stowManifestSchema.safeParse(data?.manifest);
  if (data?.stowRenderedManifest !== 1 || !manifest.success) {
    throw new Error(`${file}: not a stow rendered manifest (version 1)`);
  }
  return {
    deploymentHash: String(data.deploymentHash),
    gitRevision: String(data.gitRevision),
    snapshotDir: String(data.snapshotDir),
    manifest: manifest.data,
  };
}
