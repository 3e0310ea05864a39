import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDaemonConfig } from './daemon-config.js';
import { ManifestError } from './errors.js';

const GITLAB = `gitlabBase: https://git.example.com/api/v4/
project: ops/deployments
gitlabToken: glpat-secret-token-value
subfolder: deploy-host.example.com
keys: keys.txt
listen: 127.0.0.1:17403
tlsCrt: /etc/stow/tls.crt
tlsKey: tls.key
`;

function issuesOf(text: string) {
  try {
    parseDaemonConfig(text, '/etc/stow/daemon.yaml');
  } catch (error) {
    if (error instanceof ManifestError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseDaemonConfig', () => {
  it('resolves a GitLab config: relative paths against the config directory, defaults applied', () => {
    const config = parseDaemonConfig(GITLAB, '/etc/stow/daemon.yaml');
    expect(config.source).toMatchObject({
      kind: 'gitlab',
      apiUrl: 'https://git.example.com/api/v4',
      project: 'ops/deployments',
    });
    expect(config.keysFile).toBe('/etc/stow/keys.txt');
    expect(config.tls).toEqual({ certFile: '/etc/stow/tls.crt', keyFile: '/etc/stow/tls.key' });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 17403 });
    expect(config.pollIntervalMs).toBe(300_000);
    expect(config.source).toMatchObject({ archiveRequestsPerMinute: 5 });
    const paced = parseDaemonConfig(`${GITLAB}archiveRequestsPerMinute: 20\n`, '/etc/stow/daemon.yaml');
    expect(paced.source).toMatchObject({ archiveRequestsPerMinute: 20 });
  });

  it('never shows the tokens when printed, logged or serialised', () => {
    const config = parseDaemonConfig(
      `${GITLAB}triggerToken: trigger-secret-0123456789\n`,
      '/etc/stow/daemon.yaml',
    );
    const printed = [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(config.source.kind === 'gitlab' && config.source.token),
    ];
    for (const text of printed) {
      expect(text).not.toContain('glpat-secret-token-value');
      expect(text).not.toContain('trigger-secret-0123456789');
    }
    expect(config.source.kind === 'gitlab' && config.source.token.reveal()).toBe('glpat-secret-token-value');
  });

  it('accepts a local git repository instead of GitLab', () => {
    const config = parseDaemonConfig(
      'gitRepository: ../deployments.git\nbranch: main\nsubfolder: host-a\npollInterval: 30s\n',
      '/srv/stow/daemon.yaml',
    );
    expect(config.source).toEqual({ kind: 'git', repository: '/srv/deployments.git', branch: 'main' });
    expect(config.pollIntervalMs).toBe(30_000);
    const remote = parseDaemonConfig(
      'gitRepository: https://git.example.com/ops/deployments.git\nsubfolder: h\n',
      '/x/d.yaml',
    );
    expect(remote.source).toMatchObject({ repository: 'https://git.example.com/ops/deployments.git' });
  });

  it.each<[string, string, string, RegExp]>([
    [
      'missing token',
      GITLAB.replace(/gitlabToken.*\n/, ''),
      'gitlabToken',
      /is required \(or set gitRepository/,
    ],
    [
      'both sources',
      `${GITLAB}gitRepository: /srv/repo.git\n`,
      'gitlabBase',
      /cannot be combined with gitRepository/,
    ],
    ['bad listen', GITLAB.replace('127.0.0.1:17403', '17403'), 'listen', /host:port/],
    ['bad poll interval', `${GITLAB}pollInterval: 5 minutes\n`, 'pollInterval', /duration/],
    ['tls half', GITLAB.replace(/tlsKey.*\n/, ''), 'tlsKey', /go together/],
    ['subfolder escape', GITLAB.replace('deploy-host.example.com', '../other'), 'subfolder', /no \.\./],
    ['unknown key', `${GITLAB}gitlabtoken: x\n`, 'gitlabtoken', /did you mean gitlabToken/],
    [
      'not a URL',
      GITLAB.replace('https://git.example.com/api/v4/', 'git.example.com'),
      'gitlabBase',
      /GitLab API URL/,
    ],
    ['short trigger token', `${GITLAB}triggerToken: short\n`, 'triggerToken', /at least 16/],
    ['zero archive pace', `${GITLAB}archiveRequestsPerMinute: 0\n`, 'archiveRequestsPerMinute', /at least 1/],
    [
      'archive pace as text',
      `${GITLAB}archiveRequestsPerMinute: five\n`,
      'archiveRequestsPerMinute',
      /whole number of archive downloads a minute/,
    ],
  ])('rejects %s naming the key', (_name, text, keyPath, message) => {
    const issue = issuesOf(text).find((candidate) => candidate.keyPath === keyPath);
    expect(issue?.message).toMatch(message);
    expect(issue?.file).toBe('/etc/stow/daemon.yaml');
    expect(issue?.line).toBeGreaterThan(0);
  });

  it('does not echo a token in its errors', () => {
    const issues = issuesOf('gitlabToken: glpat-secret-token-value\nsubfolder: 7\n');
    expect(JSON.stringify(issues)).not.toContain('glpat-secret-token-value');
  });
});
