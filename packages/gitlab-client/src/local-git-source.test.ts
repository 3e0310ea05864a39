import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLocalGitSource, isRemoteRepository } from './local-git-source.js';
import { startFake } from './test-support/fixtures.js';
import { describeSourceContract } from './test-support/source-contract.js';

const exec = promisify(execFile);

// The fake's seeding helper writes commits straight into its bare repository; the local source reads it.
describeSourceContract('local git (bare repository path)', async () => {
  const { fake, dir, cleanup } = await startFake();
  await mkdir(join(dir, 'work'));
  return {
    source: createLocalGitSource({ repository: fake.repo, subfolder: 'deploy-host.example.com' }),
    commit: (branch, files, from) => fake.commitFiles(branch, files, from ? { from } : {}),
    workDir: join(dir, 'work'),
    cleanup,
  };
});

describeSourceContract('local git (file:// URL, mirrored)', async () => {
  const { fake, dir, cleanup } = await startFake();
  await mkdir(join(dir, 'work'));
  return {
    source: createLocalGitSource({
      repository: `file://${fake.repo}`,
      subfolder: 'deploy-host.example.com',
      cacheDir: join(dir, 'cache'),
    }),
    commit: (branch, files, from) => fake.commitFiles(branch, files, from ? { from } : {}),
    workDir: join(dir, 'work'),
    cleanup,
  };
});

describe('local git source', () => {
  it('reads a working repository (non-bare) on its checked-out branch', async () => {
    const { fake, dir, cleanup } = await startFake();
    try {
      const sha = await fake.commitFiles('main', { 'h/stow.yaml': 'a\n' });
      const work = join(dir, 'clone');
      await exec('git', ['clone', '--quiet', '--', fake.repo, work]);
      const source = createLocalGitSource({ repository: work, subfolder: 'h' });
      expect(await source.defaultBranchHead()).toEqual({ branch: 'main', sha });
      await source.fetchSubfolder(sha, join(dir, 's'));
      expect(await readFile(join(dir, 's', 'stow.yaml'), 'utf8')).toBe('a\n');
    } finally {
      await cleanup();
    }
  });

  it('uses the branch option instead of HEAD', async () => {
    const { fake, dir, cleanup } = await startFake();
    try {
      await fake.commitFiles('main', { 'h/stow.yaml': 'a\n' });
      const prod = await fake.commitFiles('production', { 'h/stow.yaml': 'p\n' }, { from: 'main' });
      const source = createLocalGitSource({ repository: fake.repo, subfolder: 'h', branch: 'production' });
      expect(await source.defaultBranchHead()).toEqual({ branch: 'production', sha: prod });
      expect(await source.isOnDefaultBranch(prod)).toBe(true);
      await expect(source.fetchSubfolder(prod, join(dir, 's'))).resolves.toMatchObject({ files: 1 });
    } finally {
      await cleanup();
    }
  });

  it('refuses unsafe options before running git', () => {
    expect(() => createLocalGitSource({ repository: '-upload-pack=x', subfolder: 'h' })).toThrow(
      /may not start/,
    );
    expect(() => createLocalGitSource({ repository: '/r', subfolder: '../etc' })).toThrow(/relative path/);
    expect(() => createLocalGitSource({ repository: '/r', subfolder: '-x' })).toThrow(/relative path/);
    expect(() => createLocalGitSource({ repository: '/r', subfolder: 'h', branch: '--force' })).toThrow(
      /branch/,
    );
    expect(() => createLocalGitSource({ repository: 'https://h/r.git', subfolder: 'h' })).toThrow(/cacheDir/);
  });

  it('hides a password in a repository URL', () => {
    const source = createLocalGitSource({
      repository: 'https://user:hunter2@git.example.com/ops/d.git',
      subfolder: 'h',
      cacheDir: '/tmp/x',
    });
    expect(source.describe()).not.toContain('hunter2');
    expect(isRemoteRepository('git@git.example.com:ops/d.git')).toBe(true);
    expect(isRemoteRepository('/srv/git/d.git')).toBe(false);
  });
});
