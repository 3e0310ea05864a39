import { type DeploymentHashes, hashDeployment, type TreeFile } from '@stow/content-hasher';
import { mayBeSopsContent, mayBeSopsHead } from '@stow/sops-decrypt/detect';

export interface ScannedDeployment {
  /** The four hashes of the folder as it is, with no secret files. Final when `sopsFiles` is empty. */
  readonly hashes: DeploymentHashes;
  /** The SOPS files of the folder: relative `/`-separated paths, sorted, as findSopsFiles lists them. */
  readonly sopsFiles: readonly string[];
}

/**
 * Hashes a deployment folder and finds its SOPS files in one read of the tree (docs/benchmarks.md,
 * "startup"): the hasher shows each file's first read to the cheap SOPS pre-check, which rules out
 * almost every file; only the files it lets through are read again and parsed, with the SOPS
 * parsers (YAML among them) loaded just then. Finds exactly what findSopsFiles finds, `.git`
 * directories left out as it does.
 */
export async function hashAndFindSopsFiles(dir: string): Promise<ScannedDeployment> {
  const candidates: TreeFile[] = [];
  const hashes = await hashDeployment(dir, {
    onFirstRead(file, bytes, whole) {
      if (insideGitDirectory(file.relativeName)) return;
      if (whole ? mayBeSopsContent(file.relativeName, bytes) : mayBeSopsHead(bytes)) candidates.push(file);
    },
  });
  if (candidates.length === 0) return { hashes, sopsFiles: [] };
  const { isSopsFile } = await import('@stow/sops-decrypt');
  const sopsFiles: string[] = [];
  for (const file of candidates) {
    if (await isSopsFile(file.absolutePath.toString())) sopsFiles.push(file.relativeName);
  }
  return { hashes, sopsFiles: sopsFiles.sort() };
}

/** findSopsFiles never descends into a directory named `.git`, at any depth. */
function insideGitDirectory(relativeName: string): boolean {
  return relativeName.split('/').slice(0, -1).includes('.git');
}
