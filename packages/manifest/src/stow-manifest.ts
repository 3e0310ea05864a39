import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ManifestError, type ManifestIssue } from './errors.js';
import { formatKeyPath, toManifestIssues } from './schema-issues.js';
import { checkConfigSize } from './size-limit.js';
import { type StowManifest, stowManifestSchema } from './stow-schema.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

/** Validates stow.yaml text; `file` names it in errors. Throws ManifestError with every issue found. */
export function parseStowManifest(text: string, file: string): StowManifest {
  return validateStowSource(parseYamlSource(text, file));
}

export function validateStowSource(source: YamlSource): StowManifest {
  if (source.data === null || source.data === undefined) {
    throw new ManifestError('INVALID', source.file, [
      {
        file: source.file,
        keyPath: '',
        message: 'is empty; expected a mapping with deployment: and containers:',
      },
    ]);
  }
  const result = stowManifestSchema.safeParse(source.data);
  if (!result.success) {
    throw new ManifestError(
      'INVALID',
      source.file,
      toManifestIssues(result.error, source, stowManifestSchema),
    );
  }
  return result.data;
}

/**
 * Reads and validates `<dir>/stow.yaml` and checks that every file it references (envFiles, mount
 * sources) exists in the folder as a regular file or directory, not a link.
 */
export async function readStowManifest(file: string): Promise<StowManifest> {
  const source = parseYamlSource(await readText(file), file);
  const manifest = validateStowSource(source);
  const issues = await missingReferences(manifest, path.dirname(file), source);
  if (issues.length > 0) throw new ManifestError('INVALID', file, issues);
  return manifest;
}

/** Files the manifest names that the deployment folder does not hold; empty when all are there. */
export async function missingReferences(
  manifest: StowManifest,
  dir: string,
  source?: YamlSource,
): Promise<ManifestIssue[]> {
  const issues: ManifestIssue[] = [];
  const file = source?.file ?? path.join(dir, 'stow.yaml');
  const check = async (relative: string, keyPath: PropertyKey[], want: 'file' | 'file or directory') => {
    const problem = await referenceProblem(dir, relative, want);
    if (problem) {
      issues.push({
        file,
        ...source?.locate(keyPath),
        keyPath: formatKeyPath(keyPath),
        message: `${JSON.stringify(relative)} ${problem}`,
      });
    }
  };
  const runnables = [
    ...Object.entries(manifest.containers).map(([name, spec]) => ['containers', name, spec] as const),
    ...Object.entries(manifest.jobs).map(([name, spec]) => ['jobs', name, spec] as const),
  ];
  for (const [section, name, container] of runnables) {
    for (const [index, envFile] of (container.envFiles ?? []).entries()) {
      await check(envFile, [section, name, 'envFiles', index], 'file');
    }
    for (const [index, mount] of (container.mounts ?? []).entries()) {
      if (mount.source !== undefined) {
        await check(mount.source, [section, name, 'mounts', index, 'source'], 'file or directory');
      }
    }
  }
  return issues;
}

async function referenceProblem(dir: string, relative: string, want: string): Promise<string | undefined> {
  // Walk component by component with lstat so that a link anywhere on the way is caught.
  let current = dir;
  for (const part of relative.split('/')) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat) return 'does not exist in the deployment folder';
    if (stat.isSymbolicLink()) return 'is a symlink; links are not allowed in a deployment folder';
  }
  const stat = await fs.lstat(current);
  if (want === 'file' && !stat.isFile()) return 'must be a regular file';
  if (!stat.isFile() && !stat.isDirectory()) return 'must be a regular file or a directory';
  return undefined;
}

/**
 * The text of `path`, refused without reading it when it is over the config size limit; a failure
 * is a ManifestError naming the file as `file`.
 */
export async function readText(path: string, file = path): Promise<string> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(path, 'r');
    checkConfigSize(file, (await handle.stat()).size);
    return await handle.readFile('utf8');
  } catch (cause) {
    if (cause instanceof ManifestError) throw cause;
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ManifestError(
      'UNREADABLE',
      file,
      [{ file, keyPath: '', message: `cannot read file (${reason})` }],
      {
        cause,
      },
    );
  } finally {
    await handle?.close();
  }
}
