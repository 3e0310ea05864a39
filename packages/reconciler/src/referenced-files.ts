import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DockerPlannerError, parseEnvFile } from '@stow/docker-planner';
import { ManifestError, type ManifestIssue, type StowManifest } from '@stow/manifest';

/**
 * Parses every env file the containers and jobs reference, in the staged (decrypted) folder, while the
 * revision is prepared: a file that is not dotenv fails the reconcile before running-config
 * switches (exit 2, nothing touched), not during the apply after the old containers were stopped.
 * That each referenced file and mount source exists with the right type is checked by
 * readStowManifest. The issues name the file and line and never quote its content (SPEC section 4).
 */
export async function checkReferencedFiles(stagingDir: string, manifest: StowManifest): Promise<void> {
  const envFiles = new Set(
    [...Object.values(manifest.containers), ...Object.values(manifest.jobs)].flatMap(
      (runnable) => runnable.envFiles ?? [],
    ),
  );
  const issues: ManifestIssue[] = [];
  for (const file of envFiles) {
    const text = await fs.readFile(path.join(stagingDir, file), 'utf8');
    try {
      parseEnvFile(text, file);
    } catch (error) {
      if (!(error instanceof DockerPlannerError) || error.line === undefined) throw error;
      const prefix = `${file}:${error.line}: `;
      const problem = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : 'not dotenv';
      issues.push({ file, line: error.line, keyPath: '', message: problem });
    }
  }
  if (issues.length > 0) throw new ManifestError('INVALID', issues[0]?.file ?? 'stow.yaml', issues);
}
