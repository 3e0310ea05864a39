import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitlabClientError } from '../errors.js';
import type { DesiredStateSource } from '../source.js';

type SeedFiles = Record<string, string | { content: string; executable?: boolean } | null>;

export interface ContractFixture {
  source: DesiredStateSource;
  /** Commits files to a branch (created from `from` when given) in the source's repository. */
  commit(branch: string, files: SeedFiles, from?: string): Promise<string>;
  /** A directory the test may use for staging dirs. */
  workDir: string;
  cleanup(): Promise<void>;
}

const SUB = 'deploy-host.example.com';

/**
 * The behaviour every DesiredStateSource must have. `setup` gets an empty repository with HEAD on
 * `main` and returns a source for subfolder `deploy-host.example.com` on it.
 */
export function describeSourceContract(name: string, setup: () => Promise<ContractFixture>): void {
  describe(`DesiredStateSource contract: ${name}`, () => {
    let fx: ContractFixture;
    let c1: string;
    let c2: string;
    let feature: string;
    let n = 0;
    const staging = () => {
      n += 1;
      return join(fx.workDir, `staging-${n}`);
    };

    beforeAll(async () => {
      fx = await setup();
      c1 = await fx.commit('main', {
        [`${SUB}/stow.yaml`]: 'version: 1\n',
        [`${SUB}/config/nginx.conf`]: 'server {}\n',
        [`${SUB}/bin/hook.sh`]: { content: '#!/bin/sh\n', executable: true },
        'other-host/stow.yaml': 'other\n',
      });
      c2 = await fx.commit('main', { [`${SUB}/stow.yaml`]: 'version: 2\n' });
      feature = await fx.commit('feature', { [`${SUB}/stow.yaml`]: 'version: feature\n' }, 'main');
    }, 60_000);
    afterAll(async () => {
      await fx?.cleanup();
    });

    it('reports the default branch and its head', async () => {
      expect(await fx.source.defaultBranchHead()).toEqual({ branch: 'main', sha: c2 });
    });

    it('sees a commit pushed after the source was created', async () => {
      const c = await fx.commit('main', { [`${SUB}/extra.txt`]: 'x\n' });
      expect((await fx.source.defaultBranchHead()).sha).toBe(c);
      expect(await fx.source.resolveCommit(c)).toBe(c);
    });

    it('resolves full and abbreviated shas, and null for unknown commits', async () => {
      expect(await fx.source.resolveCommit(c1)).toBe(c1);
      expect(await fx.source.resolveCommit(c1.slice(0, 12))).toBe(c1);
      expect(await fx.source.resolveCommit('0123456789abcdef0123456789abcdef01234567')).toBeNull();
    });

    it('rejects things that are not shas before using them', async () => {
      for (const bad of ['--upload-pack=evil', 'main', '../x', 'ABCDEF0', 'abc', `${c1}0`]) {
        await expect(fx.source.resolveCommit(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(fx.source.fetchSubfolder(bad, staging())).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
      }
    });

    it('tells whether a commit is on the default branch', async () => {
      expect(await fx.source.isOnDefaultBranch(c1)).toBe(true);
      expect(await fx.source.isOnDefaultBranch(c2)).toBe(true);
      expect(await fx.source.isOnDefaultBranch(feature)).toBe(false);
      expect(await fx.source.isOnDefaultBranch('0123456789abcdef0123456789abcdef01234567')).toBe(false);
    });

    it('extracts exactly the subfolder with stow.yaml at the top and modes kept', async () => {
      const dir = staging();
      const result = await fx.source.fetchSubfolder(c2, dir);
      expect((await readdir(dir)).sort()).toEqual(['bin', 'config', 'stow.yaml']);
      expect(await readFile(join(dir, 'stow.yaml'), 'utf8')).toBe('version: 2\n');
      expect(await readFile(join(dir, 'config/nginx.conf'), 'utf8')).toBe('server {}\n');
      expect((await stat(join(dir, 'bin/hook.sh'))).mode & 0o777).toBe(0o755);
      expect((await stat(join(dir, 'stow.yaml'))).mode & 0o777).toBe(0o644);
      expect(result.files).toBe(3);
    });

    it('extracts old commits as they were', async () => {
      const dir = staging();
      await fx.source.fetchSubfolder(c1, dir);
      expect(await readFile(join(dir, 'stow.yaml'), 'utf8')).toBe('version: 1\n');
    });

    it('fails with NOT_FOUND for a missing commit or subfolder and leaves no staging dir', async () => {
      const dir = staging();
      await expect(
        fx.source.fetchSubfolder('0123456789abcdef0123456789abcdef01234567', dir),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const gone = await fx.commit('main', {
        [`${SUB}/stow.yaml`]: null,
        [`${SUB}/config/nginx.conf`]: null,
        [`${SUB}/bin/hook.sh`]: null,
        [`${SUB}/extra.txt`]: null,
      });
      const err = await fx.source.fetchSubfolder(gone, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitlabClientError);
      expect((err as GitlabClientError).code).toBe('NOT_FOUND');
      expect((err as Error).message).toContain(`subfolder ${SUB} does not exist at ${gone}`);
      await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(fx.source.listSubfolder(gone)).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringContaining(`subfolder ${SUB} does not exist at ${gone}`),
      });
    });

    it("lists the subfolder's files with their git blob ids and modes, without an archive", async () => {
      const files = await fx.source.listSubfolder(c1);
      expect(files.map((f) => f.path).sort()).toEqual(['bin/hook.sh', 'config/nginx.conf', 'stow.yaml']);
      const byPath = new Map(files.map((f) => [f.path, f]));
      expect(byPath.get('bin/hook.sh')?.mode).toBe('100755');
      expect(byPath.get('stow.yaml')?.mode).toBe('100644');
      // A git blob id is sha1("blob <size>\0" + content): equal ids, equal bytes.
      const blobId = (content: string) =>
        createHash('sha1')
          .update(`blob ${Buffer.byteLength(content)}\0${content}`)
          .digest('hex');
      expect(byPath.get('stow.yaml')?.blobId).toBe(blobId('version: 1\n'));
      const later = new Map((await fx.source.listSubfolder(c2)).map((f) => [f.path, f.blobId]));
      expect(later.get('stow.yaml')).toBe(blobId('version: 2\n'));
      expect(later.get('config/nginx.conf')).toBe(byPath.get('config/nginx.conf')?.blobId);
    });

    it('reads one file of the subfolder, byte for byte', async () => {
      expect((await fx.source.readSubfolderFile(c1, 'stow.yaml')).toString('utf8')).toBe('version: 1\n');
      expect((await fx.source.readSubfolderFile(c2, 'stow.yaml')).toString('utf8')).toBe('version: 2\n');
      await expect(fx.source.readSubfolderFile(c2, 'nope.yaml')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('describes itself without secrets', () => {
      expect(fx.source.describe()).toContain(SUB);
      expect(fx.source.describe()).not.toMatch(/SECRET|glpat/);
    });
  });
}
