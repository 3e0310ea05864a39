import { dirname } from 'node:path';
import { type ConfigKind, detectConfigKind } from './config-kind.js';
import { validateDaemonSource } from './daemon-config.js';
import { ManifestError, type ManifestIssue } from './errors.js';
import { missingReferences, readText, validateStowSource } from './stow-manifest.js';
import { parseYamlSource } from './yaml-source.js';

export interface ValidationReport {
  readonly file: string;
  readonly kind: ConfigKind | undefined;
  readonly valid: boolean;
  readonly issues: readonly ManifestIssue[];
}

/**
 * Validates the stow.yaml or daemon.yaml at `path`, telling them apart by content; issues name the file
 * as `options.name` (default: `path`). For a stow.yaml, the files it references must exist beside it.
 * Never throws for a bad file: the report carries every issue.
 */
export async function validateConfigFile(
  path: string,
  options: { name?: string } = {},
): Promise<ValidationReport> {
  const file = options.name ?? path;
  let kind: ConfigKind | undefined;
  try {
    const source = parseYamlSource(await readText(path, file), file);
    kind = detectConfigKind(source.data);
    if (kind === 'stow.yaml') {
      const manifest = validateStowSource(source);
      const issues = await missingReferences(manifest, dirname(path), source);
      return { file, kind, valid: issues.length === 0, issues };
    }
    if (kind === 'daemon.yaml') {
      validateDaemonSource(source);
      return { file, kind, valid: true, issues: [] };
    }
    const message =
      'is neither a stow.yaml (deployment:, containers:) nor a daemon.yaml (subfolder:, gitlabBase: or gitRepository:)';
    return { file, kind, valid: false, issues: [{ file, keyPath: '', message }] };
  } catch (error) {
    if (error instanceof ManifestError) return { file, kind, valid: false, issues: error.issues };
    throw error;
  }
}
