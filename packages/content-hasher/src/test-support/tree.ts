import { execFileSync } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary directory that removes itself; tests write trees into it. */
export function tempDir(prefix = 'stow-hash-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `files` (relative path -> contents) below `root`, creating directories as needed. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [relative, contents] of Object.entries(files)) {
    const target = path.join(root, relative);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, contents);
  }
}

/**
 * The oracle: an independent implementation of SPEC section 3 in Python, written from the spec and
 * sharing no code with the TypeScript one. Prints the four hashes, one per line.
 */
const PYTHON_ORACLE = String.raw`
import hashlib, os, sys
root = os.fsencode(sys.argv[1]); secrets = set(os.fsencode(s) for s in sys.argv[2:])
def walk(rel):
    full = os.path.join(root, rel) if rel else root
    for name in sorted(os.listdir(full)):
        r = rel + b'/' + name if rel else name
        p = os.path.join(root, r)
        if os.path.isdir(p) and not os.path.islink(p): yield from walk(r)
        else: yield r
m, c, s = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
for r in walk(b''):
    h = m if r == b'stow.yaml' else s if r in secrets else c
    h.update(r + b'\0' + open(os.path.join(root, r), 'rb').read())
M, C, S = m.hexdigest(), c.hexdigest(), s.hexdigest()
print(M); print(C); print(S)
print(hashlib.sha256(('%s\n%s\n%s\n' % (M, C, S)).encode()).hexdigest())
`;

export function oracleHashes(dir: string, secretFiles: string[] = []) {
  const out = execFileSync('python3', ['-c', PYTHON_ORACLE, dir, ...secretFiles], { encoding: 'utf8' });
  const [manifestHash, configHash, secretsHash, deploymentHash] = out.trim().split('\n');
  return { manifestHash, configHash, secretsHash, deploymentHash };
}
