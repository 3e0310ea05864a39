import { describe, expect, it } from 'vitest';
import { parseDaemonConfig } from './daemon-config.js';
import { formatIssue, ManifestError } from './errors.js';
import { parseStowManifest } from './stow-manifest.js';

// `stow validate` refuses what Docker would refuse (or silently take): such a value must be exit 2
// before anything is touched, not a failed apply after the old containers were stopped. And a user
// key that becomes an object key is never one of the prototype's names.
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const HEAD = `deployment:
  name: web
networks:
  backend: {}
containers:
  app:
    image: r.example.com/app:1@${DIGEST}
`;

/** The formatted issues of a stow.yaml, or [] when it is valid. */
function issuesOf(text: string, file = 'stow.yaml'): string[] {
  try {
    if (file === 'daemon.yaml') parseDaemonConfig(text, file);
    else parseStowManifest(text, file);
    return [];
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map(formatIssue);
    throw error;
  }
}

describe('names that would reach the prototype are refused', () => {
  const RESERVED = /is a reserved name \(__proto__, constructor and prototype are not allowed\)/;

  it.each([
    ['a container', (name: string) => `${HEAD}  ${name}:\n    image: r.example.com/x:1@${DIGEST}\n`, 8, 3],
    ['a network', (name: string) => HEAD.replace('  backend: {}', `  backend: {}\n  ${name}: {}`), 5, 3],
    ['an env key', (name: string) => `${HEAD}    env: { ${name}: x }\n`, 8, 12],
    ['a label key', (name: string) => `${HEAD}    labels: { ${name}: x }\n`, 8, 15],
    [
      'a logging option',
      (name: string) => `${HEAD}    logging: { driver: json-file, options: { ${name}: x } }\n`,
      8,
      46,
    ],
  ])('%s', (_what, make, line, column) => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const issues = issuesOf(make(name));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(new RegExp(`^stow\\.yaml:${line}:${column}: .*${name}.*: invalid name: `));
      expect(issues[0]).toMatch(RESERVED);
    }
  });

  it('a container may name a network only when it is declared, even one named like a method', () => {
    expect(issuesOf(`${HEAD}    networks: [toString]\n`)).toEqual([
      'stow.yaml:8:16: containers.app.networks[0]: network "toString" is not declared under networks:',
    ]);
  });
});

describe('values Docker refuses are refused by validate, each at file:line:col: key.path', () => {
  it.each([
    ['cpus 0', 'cpus: 0', 'containers.app.cpus: must be at least 0.01 (Docker refuses less)'],
    ['cpus below 0.01', 'cpus: 0.001', 'containers.app.cpus: must be at least 0.01 (Docker refuses less)'],
    ['cpus negative', 'cpus: -1', 'containers.app.cpus: must be at least 0.01 (Docker refuses less)'],
    ['cpus over 1024', 'cpus: 1024.5', 'containers.app.cpus: must be at most 1024'],
    ['memory over 1 PiB', 'memory: 1048577g', 'containers.app.memory: must be at most 1 PiB (1048576g)'],
    [
      'memory bytes over 1 PiB',
      'memory: 1125899906842625',
      'containers.app.memory: must be at most 1 PiB (1048576g)',
    ],
    [
      'memory unparsable',
      'memory: 1.5.5g',
      'containers.app.memory: must be bytes or a size such as 512m or 1g',
    ],
    [
      'memory in an unknown unit',
      'memory: 1t',
      'containers.app.memory: must be bytes or a size such as 512m or 1g',
    ],
    [
      'memory not an integer',
      'memory: 1e400',
      'containers.app.memory: must be bytes or a size such as 512m or 1g',
    ],
    ['memory under 6m', 'memory: 4m', 'containers.app.memory: must be at least 6m (Docker refuses less)'],
    [
      'a port host IP that is not an address',
      'ports: ["999.1.1.1:80:80"]',
      'containers.app.ports[0]: the host IP must be an IPv4 or IPv6 address, e.g. 127.0.0.1 or [::1]',
    ],
    [
      'a port host IPv6 that is not an address',
      'ports: ["[1:::2:]:80:80"]',
      'containers.app.ports[0]: the host IP must be an IPv4 or IPv6 address, e.g. 127.0.0.1 or [::1]',
    ],
    [
      'an extra host IP that is not an address',
      'extraHosts: ["db:10.0.0.256"]',
      'containers.app.extraHosts[0]: the ip must be an IPv4 or IPv6 address (or host-gateway)',
    ],
    [
      'an extra host name instead of an IP',
      'extraHosts: ["db:example.com"]',
      'containers.app.extraHosts[0]: the ip must be an IPv4 or IPv6 address (or host-gateway)',
    ],
    [
      'a one-character container name',
      '',
      'containers.a: invalid name: must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)',
      HEAD.replace('  app:', '  a:'),
    ],
    [
      'a container name with a slash',
      '',
      'containers["a/b"]: invalid name: must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)',
      HEAD.replace('  app:', '  "a/b":'),
    ],
  ])('%s', (_name, line, message, text = `${HEAD}    ${line}\n`) => {
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^stow\.yaml:\d+:\d+: /);
    expect(issues[0]?.replace(/^stow\.yaml:\d+:\d+: /, '')).toBe(message);
  });

  it.each(['host', 'bridge', 'none', 'default'])('a network named %s', (name) => {
    expect(issuesOf(HEAD.replace('  backend: {}', `  backend: {}\n  ${name}: {}`))).toEqual([
      `stow.yaml:5:3: networks.${name}: invalid name: is one of Docker's own networks (host, bridge, none, default); choose another name`,
    ]);
  });

  it('accepts the edges and the forms Docker takes', () => {
    expect(
      issuesOf(
        `${HEAD}    cpus: 0.01\n    memory: 6m\n    ports: ["127.0.0.1:80:80", "[::1]:81:81", "82"]\n` +
          `    extraHosts: ["a:10.0.0.1", "b:::1", "c:host-gateway"]\n`,
      ),
    ).toEqual([]);
    expect(issuesOf(`${HEAD}    cpus: 1024\n    memory: 1048576g\n`)).toEqual([]);
  });

  it.each([
    ['0', 'daemon.yaml:3:9: listen: the port must be between 1 and 65535'],
    ['65536', 'daemon.yaml:3:9: listen: the port must be between 1 and 65535'],
    ['99999', 'daemon.yaml:3:9: listen: the port must be between 1 and 65535'],
  ])('daemon.yaml listen port %s', (port, issue) => {
    const text = `gitRepository: /srv/repo\nsubfolder: host-a\nlisten: 127.0.0.1:${port}\n`;
    expect(issuesOf(text, 'daemon.yaml')).toEqual([issue]);
  });
});
