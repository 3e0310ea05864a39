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
      'plain http webhook',
      `${GITLAB}notify:\n  - url: http://hooks.example.com/T0/B0/secretpath\n`,
      'notify[0].url',
      /must be an https:\/\/ URL/,
    ],
    ['webhook not a URL', `${GITLAB}notify:\n  - url: hooks.example.com/x\n`, 'notify[0].url', /https:\/\//],
    [
      'webhook with a password',
      `${GITLAB}notify:\n  - url: https://u:pw@hooks.example.com/x\n`,
      'notify[0].url',
      /must not carry a user or password/,
    ],
    [
      'unknown event',
      `${GITLAB}notify:\n  - url: https://hooks.example.com/x\n    events: [rolledBack, explode]\n`,
      'notify[0].events[1]',
      /must be one of rolledBack, rollbackFailed/,
    ],
    [
      'unknown format',
      `${GITLAB}notify:\n  - url: https://hooks.example.com/x\n    format: teams\n`,
      'notify[0].format',
      /must be json or slack/,
    ],
    [
      'no events',
      `${GITLAB}notify:\n  - url: https://hooks.example.com/x\n    events: []\n`,
      'notify[0].events',
      /at least one event/,
    ],
    [
      'unknown notify key',
      `${GITLAB}notify:\n  - url: https://hooks.example.com/x\n    channel: ops\n`,
      'notify[0].channel',
      /unknown key/,
    ],
    [
      'notify not a list',
      `${GITLAB}notify: https://hooks.example.com/x\n`,
      'notify',
      /list of \{ url, format, events \}/,
    ],
    [
      'gitlabReports with git',
      'gitRepository: /srv/repo.git\nsubfolder: a\ngitlabReports:\n  deployments: false\n',
      'gitlabReports',
      /only applies with the GitLab source/,
    ],
    [
      'gitlabReports not a boolean',
      `${GITLAB}gitlabReports:\n  commitStatus: sometimes\n`,
      'gitlabReports.commitStatus',
      /true or false/,
    ],
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

  it('reads notify receivers (URL kept as a Secret) and the GitLab report switches', () => {
    const config = parseDaemonConfig(
      `${GITLAB}gitlabReports:\n  deployments: false\nnotify:\n  - url: https://hooks.example.com/T0/B0/secretpath\n    format: slack\n  - url: http://127.0.0.1:9000/hook\n    events: [converged]\n`,
      '/etc/stow/daemon.yaml',
    );
    expect(config.gitlabReports).toEqual({ commitStatus: true, deployments: false });
    expect(config.notify.map((n) => [n.format, n.events])).toEqual([
      ['slack', ['rolledBack', 'rollbackFailed', 'recovered', 'jobFailed']],
      ['json', ['converged']],
    ]);
    expect(config.notify[0]?.url.reveal()).toBe('https://hooks.example.com/T0/B0/secretpath');
    expect(JSON.stringify(config)).not.toContain('secretpath');
    expect(inspect(config, { depth: 10 })).not.toContain('secretpath');
    expect(parseDaemonConfig(GITLAB, '/etc/stow/daemon.yaml')).toMatchObject({
      gitlabReports: { commitStatus: true, deployments: true },
      notify: [],
    });
  });

  it('does not echo a webhook URL in its errors', () => {
    const issues = issuesOf(`${GITLAB}notify:\n  - url: http://hooks.example.com/secretpath\n`);
    expect(issues).toHaveLength(1);
    expect(JSON.stringify(issues)).not.toContain('secretpath');
  });

  it('does not echo a token in its errors', () => {
    const issues = issuesOf('gitlabToken: glpat-secret-token-value\nsubfolder: 7\n');
    expect(JSON.stringify(issues)).not.toContain('glpat-secret-token-value');
  });
});
