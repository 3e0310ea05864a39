import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDockerConfigAuth, registryAuthFromConfig, registryHostOf } from './registry-auth.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const CONFIG = JSON.stringify({
  auths: {
    'registry.example.com': { auth: b64('ci:p@ss:word') },
    'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
    '127.0.0.1:5000': { username: 'local', password: 'lpw' },
  },
});

describe('registryHostOf', () => {
  it.each([
    ['registry.example.com/apps/web:1', 'registry.example.com'],
    ['127.0.0.1:5000/stow-test/http-ok:1', '127.0.0.1:5000'],
    ['localhost/web', 'localhost'],
    ['library/nginx:1', 'docker.io'],
    ['nginx', 'docker.io'],
  ])('%s -> %s', (image, host) => {
    expect(registryHostOf(image)).toBe(host);
  });
});

describe('registryAuthFromConfig', () => {
  const lookup = registryAuthFromConfig(CONFIG, '/root/.docker/config.json');
  it.each([
    [
      `registry.example.com/apps/web:1@sha256:${'a'.repeat(64)}`,
      { username: 'ci', password: 'p@ss:word', serveraddress: 'registry.example.com' },
    ],
    ['nginx:1', { username: 'hub', password: 'hubpw', serveraddress: 'https://index.docker.io/v1/' }],
    ['127.0.0.1:5000/x:1', { username: 'local', password: 'lpw', serveraddress: '127.0.0.1:5000' }],
    ['other.example.org/x:1', undefined],
  ])('%s', (image, auth) => {
    expect(lookup(image)).toStrictEqual(auth);
  });

  it('rejects bad JSON and bad auth without printing the content', () => {
    expect(() => registryAuthFromConfig('{"auths": {"x": {"auth": "secretstuff', 'c.json')).toThrow(
      /^c\.json is not valid JSON$/,
    );
    const bad = JSON.stringify({ auths: { 'r.example.com': { auth: b64('nocolon') } } });
    expect(() => registryAuthFromConfig(bad, 'c.json')).toThrow(
      /auths\.r\.example\.com\.auth is not base64 of user:password/,
    );
  });
});

describe('readDockerConfigAuth', () => {
  it('reads $DOCKER_CONFIG/config.json, else ~/.docker/config.json; a missing file is anonymous', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stow-dockercfg-'));
    await writeFile(path.join(dir, 'config.json'), CONFIG);
    const fromEnv = await readDockerConfigAuth({ env: { DOCKER_CONFIG: dir } });
    expect(fromEnv('registry.example.com/a:1')?.username).toBe('ci');
    const home = await mkdtemp(path.join(os.tmpdir(), 'stow-home-'));
    const none = await readDockerConfigAuth({ env: {}, homeDir: home });
    expect(none('registry.example.com/a:1')).toBeUndefined();
  });
});
