import { describe, expect, it } from 'vitest';
import { DockerPlannerError } from './errors.js';
import type { ActualContainer, ActualNetwork, DesiredState, PlannedContainer } from './plan.js';
import { plan } from './plan.js';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
const desired: DesiredState = {
  deploymentName: 'shop',
  deploymentHash: H2,
  containers: ['web', 'db'],
  networks: { backend: {} },
};
const ours = (hash = H2) => ({ 'stow.deployment': 'shop', 'stow.hash': `v1:${hash}` });
const c = (name: string, state: string, labels: Record<string, string>): ActualContainer => ({
  id: `id-${name}`,
  name,
  state,
  labels,
});
const backend: ActualNetwork = { id: 'net-backend', name: 'backend', labels: { 'stow.deployment': 'shop' } };

describe('plan: containers', () => {
  const cases: Array<{ name: string; actual: ActualContainer[]; actions: PlannedContainer[] }> = [
    {
      name: 'nothing there: replace both as missing',
      actual: [],
      actions: [
        { container: 'web', action: 'replace', reason: 'missing' },
        { container: 'db', action: 'replace', reason: 'missing' },
      ],
    },
    {
      name: 'running with matching labels: noop',
      actual: [c('web', 'running', ours()), c('db', 'running', ours())],
      actions: [
        { container: 'web', action: 'noop', reason: 'up to date', existingId: 'id-web' },
        { container: 'db', action: 'noop', reason: 'up to date', existingId: 'id-db' },
      ],
    },
    {
      name: 'stale hash, exited, restarting, created, paused',
      actual: [c('web', 'running', ours(H1)), c('db', 'exited', ours())],
      actions: [
        {
          container: 'web',
          action: 'replace',
          reason: 'stale hash v1:111111111111… -> v1:222222222222…',
          existingId: 'id-web',
        },
        { container: 'db', action: 'replace', reason: 'stopped (exited)', existingId: 'id-db' },
      ],
    },
    {
      name: 'restarting and created',
      actual: [c('web', 'restarting', ours()), c('db', 'created', ours())],
      actions: [
        { container: 'web', action: 'replace', reason: 'restarting', existingId: 'id-web' },
        { container: 'db', action: 'replace', reason: 'stopped (created)', existingId: 'id-db' },
      ],
    },
    {
      name: 'our label without a hash label: stale',
      actual: [c('web', 'running', { 'stow.deployment': 'shop' }), c('db', 'running', ours())],
      actions: [
        {
          container: 'web',
          action: 'replace',
          reason: 'stale hash (none) -> v1:222222222222…',
          existingId: 'id-web',
        },
        { container: 'db', action: 'noop', reason: 'up to date', existingId: 'id-db' },
      ],
    },
    {
      name: 'ours but no longer declared: delete (sorted); others never touched',
      actual: [
        c('web', 'running', ours()),
        c('db', 'running', ours()),
        c('zcache', 'exited', ours(H1)),
        c('cache', 'running', ours()),
        c('other-app', 'running', { 'stow.deployment': 'blog', 'stow.hash': `v1:${H1}` }),
        c('hand-made', 'running', {}),
      ],
      actions: [
        { container: 'web', action: 'noop', reason: 'up to date', existingId: 'id-web' },
        { container: 'db', action: 'noop', reason: 'up to date', existingId: 'id-db' },
        { container: 'cache', action: 'delete', reason: 'not in stow.yaml', existingId: 'id-cache' },
        { container: 'zcache', action: 'delete', reason: 'not in stow.yaml', existingId: 'id-zcache' },
      ],
    },
  ];

  it.each(cases)('$name', ({ actual, actions }) => {
    const result = plan(desired, { containers: actual, networks: [backend] });
    expect(result.actions).toStrictEqual(actions);
    expect(result.unchanged).toBe(actions.every((a) => a.action === 'noop'));
  });

  it.each([
    ['an unlabelled container', {}, /container web \(id-web\) is not managed by stow/],
    [
      'another deployment',
      { 'stow.deployment': 'blog', 'stow.hash': `v1:${H2}` },
      /belongs to deployment blog/,
    ],
  ])('a desired name held by %s is a conflict', (_name, labels, message) => {
    let caught: unknown;
    try {
      plan(desired, {
        containers: [c('web', 'running', labels), c('db', 'running', ours())],
        networks: [backend],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DockerPlannerError);
    expect((caught as DockerPlannerError).code).toBe('NAME_CONFLICT');
    expect((caught as DockerPlannerError).container).toBe('web');
    expect((caught as DockerPlannerError).message).toMatch(message);
    expect((caught as DockerPlannerError).message).toMatch(/^deployment shop: /);
  });

  it('names every conflict at once', () => {
    expect(() =>
      plan(desired, {
        containers: [c('web', 'running', {}), c('db', 'exited', { 'stow.deployment': 'x' })],
        networks: [{ id: 'n', name: 'backend', labels: {} }],
      }),
    ).toThrow(
      /container web .*; container db .*belongs to deployment x; network backend is not managed by stow/,
    );
  });
});

describe('plan: networks', () => {
  const running = [c('web', 'running', ours()), c('db', 'running', ours())];
  it.each([
    {
      name: 'declared and present: nothing',
      networks: { backend: {} },
      actual: [backend],
      create: [],
      prune: [],
    },
    {
      name: 'declared but missing: create (options kept; null spec allowed)',
      networks: { backend: {}, internal: { internal: true, driver: 'bridge' }, plain: null },
      actual: [backend],
      create: [
        { name: 'internal', internal: true, driver: 'bridge' },
        { name: 'plain', internal: false, driver: undefined },
      ],
      prune: [],
    },
    {
      name: 'ours but undeclared: prune; others and unlabelled kept',
      networks: {},
      actual: [
        backend,
        { id: 'n2', name: 'blog-net', labels: { 'stow.deployment': 'blog' } },
        { id: 'n3', name: 'bridge', labels: {} },
      ],
      create: [],
      prune: [{ name: 'backend', id: 'net-backend' }],
    },
  ])('$name', ({ networks, actual, create, prune }) => {
    const result = plan({ ...desired, networks }, { containers: running, networks: actual });
    expect(result.networksToCreate).toStrictEqual(create);
    expect(result.networksToPrune).toStrictEqual(prune);
    expect(result.unchanged).toBe(create.length === 0 && prune.length === 0);
  });

  it('a declared name held by a foreign network is a conflict', () => {
    expect(() =>
      plan(desired, {
        containers: running,
        networks: [{ id: 'n', name: 'backend', labels: { 'stow.deployment': 'blog' } }],
      }),
    ).toThrow(/network backend belongs to deployment blog/);
  });
});
