import type { ContainerSpec } from '@stow/manifest';
import { describe, expect, it } from 'vitest';
import type { ContainerCreateBody, CreateContext } from './create-options.js';
import { memoryBytes, toCreateOptions } from './create-options.js';
import { DockerPlannerError } from './errors.js';

const IMAGE = `registry.example.com/apps/webapp:1@sha256:${'a'.repeat(64)}`;
const HASH = 'f'.repeat(64);
const context: CreateContext = {
  deploymentName: 'webapp',
  deploymentHash: HASH,
  snapshotDir: '/home/stow/.stow/snapshots/abc123',
  envFromFiles: {},
};
const STOW_LABELS = { 'stow.deployment': 'webapp', 'stow.hash': `v1:${HASH}`, 'stow.container': 'web' };

describe('toCreateOptions', () => {
  const cases: Array<{
    name: string;
    spec: Omit<ContainerSpec, 'image'>;
    context?: Partial<CreateContext>;
    body: Omit<ContainerCreateBody, 'name' | 'Image' | 'Labels' | 'HostConfig'> & {
      Labels?: Record<string, string>;
      HostConfig?: ContainerCreateBody['HostConfig'];
    };
    connectNetworks?: string[];
  }> = [
    { name: 'image only', spec: {}, body: {} },
    {
      name: 'command and entrypoint',
      spec: { command: ['./server', '--port', '8080'], entrypoint: ['/bin/tini', '--'] },
      body: { Cmd: ['./server', '--port', '8080'], Entrypoint: ['/bin/tini', '--'] },
    },
    {
      name: 'env: files first, inline wins, values stringified',
      spec: { env: { LOG_LEVEL: 'info', PORT: 8080, DEBUG: false, FROM_FILE: 'inline' } },
      context: { envFromFiles: { FROM_FILE: 'file', SECRET: 's3' } },
      body: { Env: ['FROM_FILE=inline', 'SECRET=s3', 'LOG_LEVEL=info', 'PORT=8080', 'DEBUG=false'] },
    },
    {
      name: 'ports: exposed + bindings, host port as string, random host port, udp',
      spec: { ports: ['127.0.0.1:8080:8080/tcp', '9000', '0.0.0.0:53:53/udp', '[::1]:8443:8080'] },
      body: {
        ExposedPorts: { '8080/tcp': {}, '9000/tcp': {}, '53/udp': {} },
        HostConfig: {
          PortBindings: {
            '8080/tcp': [
              { HostIp: '127.0.0.1', HostPort: '8080' },
              { HostIp: '::1', HostPort: '8443' },
            ],
            '9000/tcp': [{ HostIp: '', HostPort: '' }],
            '53/udp': [{ HostIp: '0.0.0.0', HostPort: '53' }],
          },
        },
      },
    },
    {
      name: 'mounts: snapshot source, volume, host path',
      spec: {
        mounts: [
          { source: 'config/nginx.conf', target: '/etc/nginx/nginx.conf', readOnly: true },
          { volume: 'webapp-data', target: '/var/lib/webapp' },
          { hostPath: '/var/run/app.sock', target: '/run/app.sock', readOnly: false },
        ],
      },
      body: {
        HostConfig: {
          Mounts: [
            {
              Type: 'bind',
              Source: '/home/stow/.stow/snapshots/abc123/config/nginx.conf',
              Target: '/etc/nginx/nginx.conf',
              ReadOnly: true,
            },
            { Type: 'volume', Source: 'webapp-data', Target: '/var/lib/webapp', ReadOnly: false },
            { Type: 'bind', Source: '/var/run/app.sock', Target: '/run/app.sock', ReadOnly: false },
          ],
        },
      },
    },
    {
      name: 'one network: mode + one endpoint with alias',
      spec: { networks: ['backend'] },
      body: {
        HostConfig: { NetworkMode: 'backend' },
        NetworkingConfig: { EndpointsConfig: { backend: { Aliases: ['web'] } } },
      },
    },
    {
      name: 'three networks: the others connect before start',
      spec: { networks: ['front', 'back', 'metrics'] },
      body: {
        HostConfig: { NetworkMode: 'front' },
        NetworkingConfig: { EndpointsConfig: { front: { Aliases: ['web'] } } },
      },
      connectNetworks: ['back', 'metrics'],
    },
    {
      name: 'restart on-failure:3',
      spec: { restart: 'on-failure:3' },
      body: { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } } },
    },
    {
      name: 'restart unless-stopped',
      spec: { restart: 'unless-stopped' },
      body: { HostConfig: { RestartPolicy: { Name: 'unless-stopped' } } },
    },
    {
      name: 'healthcheck: array test, durations in nanoseconds',
      spec: {
        healthcheck: {
          test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:8080/health'],
          interval: '5s',
          timeout: '3s',
          retries: 3,
          startPeriod: '1m30s',
          startInterval: '500ms',
        },
      },
      body: {
        Healthcheck: {
          Test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:8080/health'],
          Interval: 5_000_000_000,
          Timeout: 3_000_000_000,
          StartPeriod: 90_000_000_000,
          StartInterval: 500_000_000,
          Retries: 3,
        },
      },
    },
    {
      name: 'healthcheck: string test is CMD-SHELL',
      spec: { healthcheck: { test: 'curl -f http://localhost/ || exit 1' } },
      body: { Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] } },
    },
    {
      name: 'user, workingDir, hostname, stopTimeout, stopSignal',
      spec: {
        user: '1000:1000',
        workingDir: '/app',
        hostname: 'web-1',
        stopTimeout: 30,
        stopSignal: 'SIGQUIT',
      },
      body: {
        User: '1000:1000',
        WorkingDir: '/app',
        Hostname: 'web-1',
        StopTimeout: 30,
        StopSignal: 'SIGQUIT',
      },
    },
    {
      name: 'user labels kept, stow labels added',
      spec: { labels: { 'com.example.team': 'web', traefik: 'on' } },
      body: { Labels: { 'com.example.team': 'web', traefik: 'on', ...STOW_LABELS } },
    },
    {
      name: 'host config knobs',
      spec: {
        capAdd: ['NET_ADMIN'],
        capDrop: ['ALL'],
        readOnly: true,
        tmpfs: ['/run:size=64m,mode=1777', '/tmp'],
        memory: '512m',
        cpus: 1.5,
        extraHosts: ['db.internal:10.0.0.5'],
        logging: { driver: 'json-file', options: { 'max-size': '10m' } },
        init: true,
      },
      body: {
        HostConfig: {
          CapAdd: ['NET_ADMIN'],
          CapDrop: ['ALL'],
          ReadonlyRootfs: true,
          Tmpfs: { '/run': 'size=64m,mode=1777', '/tmp': '' },
          Memory: 536_870_912,
          NanoCpus: 1_500_000_000,
          ExtraHosts: ['db.internal:10.0.0.5'],
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } },
          Init: true,
        },
      },
    },
    {
      name: 'logging without options',
      spec: { logging: { driver: 'none' } },
      body: { HostConfig: { LogConfig: { Type: 'none', Config: {} } } },
    },
  ];

  it.each(cases)('$name', ({ spec, context: extra, body, connectNetworks }) => {
    const result = toCreateOptions('web', { image: IMAGE, ...spec }, { ...context, ...extra });
    expect(result).toStrictEqual({
      body: {
        name: 'web',
        Image: IMAGE,
        ...body,
        Labels: body.Labels ?? STOW_LABELS,
        HostConfig: body.HostConfig ?? {},
      },
      connectNetworks: connectNetworks ?? [],
    });
  });

  it('keeps the exact key order of a full body (Engine API shape)', () => {
    const { body } = toCreateOptions(
      'web',
      { image: IMAGE, command: ['x'], env: { A: '1' }, ports: ['80'], networks: ['n'], init: true },
      context,
    );
    expect(Object.keys(body)).toEqual([
      'name',
      'Image',
      'Cmd',
      'Env',
      'Labels',
      'ExposedPorts',
      'HostConfig',
      'NetworkingConfig',
    ]);
  });

  it('does not let user labels override the stow labels', () => {
    const { body } = toCreateOptions('web', { image: IMAGE, labels: { 'stow.hash': 'forged' } }, context);
    expect(body.Labels['stow.hash']).toBe(`v1:${HASH}`);
  });

  it('rejects a relative snapshot directory and a source leaving it', () => {
    const spec = { image: IMAGE, mounts: [{ source: 'a.conf', target: '/a' }] };
    expect(() => toCreateOptions('web', spec, { ...context, snapshotDir: 'snap' })).toThrow(
      DockerPlannerError,
    );
    const leaving = { image: IMAGE, mounts: [{ source: '../other/a.conf', target: '/a' }] };
    expect(() => toCreateOptions('web', leaving, context)).toThrow(/leaves the snapshot directory/);
  });
});

describe('memoryBytes', () => {
  it.each([
    [1024, 1024],
    ['100', 100],
    ['100b', 100],
    ['64k', 65_536],
    ['512m', 536_870_912],
    ['512M', 536_870_912],
    ['1g', 1_073_741_824],
    ['1.5g', 1_610_612_736],
  ] as const)('%s -> %d', (input, bytes) => {
    expect(memoryBytes('web', input)).toBe(bytes);
  });

  it('rejects a malformed size naming the container', () => {
    expect(() => memoryBytes('web', '12x')).toThrow(/container web: bad memory "12x"/);
  });
});
