import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeGitlab, type FakeGitlab } from '@stow/fake-gitlab';
import {
  createGitlabClient,
  createGitlabSource,
  createLocalGitSource,
  type GitlabClient,
} from '@stow/gitlab-client';
import { createSnapshotStore } from '@stow/snapshot-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeploymentResolver } from './cheap-resolution.js';
import { silentLog } from './reconcile-log.js';

const TOKEN = 'glpat-cheap-resolution';
const SUB = 'host';

/** A stow.yaml pinning `tag` (what a suggest-image merge request changes). */
const stowYaml = (tag: number) => `deployment:
  name: webapp
containers:
  webapp:
    image: registry.example.com/apps/webapp:${tag}@sha256:${String(tag % 10).repeat(64)}
    envFiles: [config/app.env]
`;

describe('cheap resolution: commits that differ only in stow.yaml cost no archive', () => {
  let dir: string;
  let fake: FakeGitlab;
  let client: GitlabClient;
  let base: string;
  const archives = () => fake.requests.filter((r) => r.path.includes('repository/archive')).length;
  const resolver = () => {
    const source = createGitlabSource({ client, project: fake.project, subfolder: SUB });
    const store = createSnapshotStore(path.join(dir, `state-${Math.random().toString(16).slice(2)}`));
    return createDeploymentResolver({
      source,
      store,
      secrets: { keysFile: undefined, sopsBinary: undefined },
      log: silentLog(),
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stow-cheap-'));
    fake = await createFakeGitlab({ repo: path.join(dir, 'repo.git'), tokens: [{ token: TOKEN }] });
    client = createGitlabClient({ apiUrl: fake.apiUrl, token: TOKEN });
    base = await fake.commitFiles('main', {
      [`${SUB}/stow.yaml`]: stowYaml(1),
      [`${SUB}/config/app.env`]: 'MODE=production\n',
      [`${SUB}/config/nginx.conf`]: 'server {}\n',
      'README.md': 'ops\n',
    });
  });
  afterAll(async () => {
    await client.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('8 merge request commits changing only stow.yaml cost one archive, with the hashes a full resolution gives', async () => {
    const cheap = resolver();
    const before = archives();
    const commits: string[] = [];
    for (let i = 2; i <= 9; i++) {
      commits.push(
        await fake.commitFiles(
          `suggest/webapp-${i}`,
          { [`${SUB}/stow.yaml`]: stowYaml(i) },
          { from: 'main' },
        ),
      );
    }
    const resolved = [];
    for (const commit of commits) resolved.push(await cheap.resolve(commit));
    expect(archives() - before).toBeLessThanOrEqual(1);
    // The same answers as downloading each one.
    for (const [i, commit] of commits.entries()) {
      const fresh = await createDeploymentResolver({
        source: createLocalGitSource({ repository: fake.repo, subfolder: SUB }),
        store: createSnapshotStore(path.join(dir, `full-${i}`)),
        secrets: { keysFile: undefined, sopsBinary: undefined },
        log: silentLog(),
      }).resolve(commit);
      expect(resolved[i]?.hashes).toEqual(fresh.hashes);
      expect(resolved[i]?.manifest.containers.webapp?.image).toContain(`webapp:${i + 2}@`);
    }
    expect(new Set(resolved.map((r) => r.hashes.deploymentHash)).size).toBe(8);
  });

  it('a change to any other file takes the full path (one more archive)', async () => {
    const cheap = resolver();
    await cheap.resolve(base);
    const before = archives();
    const config = await fake.commitFiles(
      'config-change',
      { [`${SUB}/config/nginx.conf`]: 'server { listen 80; }\n' },
      { from: 'main' },
    );
    const resolved = await cheap.resolve(config);
    expect(archives() - before).toBe(1);
    expect(resolved.hashes.configHash).not.toBe((await cheap.resolve(base)).hashes.configHash);
  });

  it('stow.yaml is still validated: a broken one, or one naming a file the commit lacks, is an error', async () => {
    const cheap = resolver();
    await cheap.resolve(base);
    const broken = await fake.commitFiles(
      'broken',
      { [`${SUB}/stow.yaml`]: 'deployment: [\n' },
      { from: 'main' },
    );
    await expect(cheap.resolve(broken)).rejects.toMatchObject({ step: 'manifest', terminal: true });
    const dangling = await fake.commitFiles(
      'dangling',
      { [`${SUB}/stow.yaml`]: stowYaml(3).replace('config/app.env', 'config/missing.env') },
      { from: 'main' },
    );
    await expect(cheap.resolve(dangling)).rejects.toMatchObject({
      step: 'manifest',
      message: expect.stringContaining('config/missing.env'),
    });
  });
});
