import { execFileSync } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real git repository holding one deployment folder, with a helper to commit new revisions. */
export class DeploymentRepo {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'stow-e2e-repo-'));
  readonly subfolder = 'host-a';

  constructor() {
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'e2e@stow.invalid');
    this.git('config', 'user.name', 'stow e2e');
  }

  /** Replaces the deployment folder's files with `files` and commits; returns the commit sha. */
  async commit(files: Record<string, string | Buffer>, message = 'revision'): Promise<string> {
    const folder = path.join(this.dir, this.subfolder);
    await fs.rm(folder, { recursive: true, force: true });
    for (const [relative, contents] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(folder, relative)), { recursive: true });
      await fs.writeFile(path.join(folder, relative), contents);
    }
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
