import { describe, expect, it } from 'vitest';
import { detectConfigKind } from './config-kind.js';
import { isDuration, parseDuration } from './duration.js';
import { formatImageReference, parseImageReference } from './image-reference.js';
import { parsePortBinding } from './port-binding.js';

const DIGEST = `sha256:${'0f'.repeat(32)}`;

describe('durations', () => {
  it.each([
    ['5s', 5000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['5', '', 's', '5 s', '-1s', '1d'])('rejects %j', (text) => expect(isDuration(text)).toBe(false));
});

describe('image references', () => {
  it.each([
    [
      `registry.example.com/apps/webapp:20260428.0@${DIGEST}`,
      'registry.example.com/apps/webapp',
      '20260428.0',
      DIGEST,
    ],
    [`127.0.0.1:5000/stow-test/http-ok:1@${DIGEST}`, '127.0.0.1:5000/stow-test/http-ok', '1', DIGEST],
    [`busybox@${DIGEST}`, 'busybox', undefined, DIGEST],
    ['nginx:1.27', 'nginx', '1.27', undefined],
  ])('parses %s', (text, repository, tag, digest) => {
    const ref = parseImageReference(text);
    expect(ref).toEqual({ repository, tag, digest });
    expect(ref && formatImageReference(ref)).toBe(text);
  });
  it.each(['', 'UPPER/case', `a@sha256:${'0f'.repeat(31)}`, `a@md5:${'0f'.repeat(32)}`, 'a:b:c', 'a b'])(
    'rejects %j',
    (text) => expect(parseImageReference(text)).toBeUndefined(),
  );
});

describe('port bindings', () => {
  it.each([
    ['8080', { hostIp: undefined, hostPort: undefined, containerPort: 8080, protocol: 'tcp' }],
    ['127.0.0.1:8080:80/tcp', { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['9090:90/udp', { hostIp: undefined, hostPort: 9090, containerPort: 90, protocol: 'udp' }],
    ['127.0.0.1::80', { hostIp: '127.0.0.1', hostPort: undefined, containerPort: 80, protocol: 'tcp' }],
    ['[::1]:8443:443', { hostIp: '::1', hostPort: 8443, containerPort: 443, protocol: 'tcp' }],
  ])('parses %s', (text, binding) => expect(parsePortBinding(text)).toEqual(binding));
  it.each(['', '0', '70000', '80/icmp', 'a:80', '1:2:3:4'])('rejects %j', (text) =>
    expect(parsePortBinding(text)).toBeUndefined(),
  );
});

describe('detectConfigKind', () => {
  it('tells the two files apart by content', () => {
    expect(detectConfigKind({ deployment: {}, containers: {} })).toBe('stow.yaml');
    expect(detectConfigKind({ subfolder: 'x', gitRepository: 'y' })).toBe('daemon.yaml');
    expect(detectConfigKind({ hello: 1 })).toBeUndefined();
    expect(detectConfigKind(['a'])).toBeUndefined();
  });
});
