import { Secret } from '@stow/manifest';
import type { HistoryEntry } from '@stow/reconciler';
import { describe, expect, it } from 'vitest';
import type { DeploymentContainer } from './backend.js';
import type { StatusReport } from './daemon-core.js';
import { commitLinker } from './status-page/commit-link.js';
import { durationOf, imageParts } from './status-page/format.js';
import { BARE_VIEW, renderStatusPage, type StatusPageView } from './status-page.js';
import { restoredContainers, rollbackHistory } from './test-support/status-page-fixtures.js';

const OLD = '1'.repeat(40);
const HEAD = '2'.repeat(40);
const NOW = Date.parse('2026-04-28T12:00:00.000Z');
const HOSTILE = `<img src=x onerror="alert(1)">'&`;
const ESCAPED = '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;';

function report(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    head_hash: HEAD,
    state: 'error',
    expected_deployment_hash: 'b'.repeat(64),
    running_deployment_hash: 'a'.repeat(64),
    running_git_revision: OLD,
    reconcile: {
      id: '5e1f0c2a9b7d',
      trigger: 'trigger',
      state: 'finished',
      started_at: '2026-04-28T11:51:00.000Z',
      finished_at: '2026-04-28T11:53:00.000Z',
      outcome: 'rolledBack',
      reason: 'webapp: unhealthy',
      target_git_revision: HEAD,
      target_deployment_hash: 'b'.repeat(64),
      jobs: [],
    },
    error: 'webapp: unhealthy',
    ...overrides,
  };
}

function view(overrides: Partial<StatusPageView> = {}): StatusPageView {
  return {
    containers: { kind: 'ok', value: restoredContainers(NOW) },
    history: { kind: 'ok', value: rollbackHistory(NOW, { old: OLD, head: HEAD }) },
    commitLink: () => undefined,
    engineTimeoutMs: 2_000,
    now: NOW,
    ...overrides,
  };
}

const gitlab = (project: string, apiUrl = 'https://git.example.com/api/v4') =>
  commitLinker({ kind: 'gitlab', apiUrl, project, token: new Secret('glpat-not-shown') });

/** The page's own markup never holds the hostile string raw: every place it could go is escaped. */
function expectEscaped(html: string) {
  expect(html).not.toContain(HOSTILE);
  expect(html).not.toContain('<img');
  expect(html).toContain(ESCAPED);
}

const container = (patch: Partial<DeploymentContainer>): StatusPageView => {
  const [first, ...rest] = restoredContainers(NOW);
  return view({
    containers: { kind: 'ok', value: [{ ...(first as DeploymentContainer), ...patch }, ...rest] },
  });
};
const newest = (patch: Partial<HistoryEntry>): StatusPageView => {
  const [first, ...rest] = rollbackHistory(NOW, { old: OLD, head: HEAD });
  return view({ history: { kind: 'ok', value: [{ ...(first as HistoryEntry), ...patch }, ...rest] } });
};
/** One <section> of the page, by id. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  return html.slice(start, html.indexOf('</section>', start));
}

const rolledBack = rollbackHistory(NOW, { old: OLD, head: HEAD })[0] as HistoryEntry;

describe('renderStatusPage escapes every value', () => {
  it.each<[string, StatusReport, StatusPageView]>([
    ['head_hash', report({ head_hash: HOSTILE }), view()],
    ['expected_deployment_hash', report({ expected_deployment_hash: HOSTILE }), view()],
    ['running_deployment_hash', report({ running_deployment_hash: HOSTILE }), view()],
    ['running_git_revision', report({ running_git_revision: HOSTILE }), view()],
    ['error', report({ error: HOSTILE }), view()],
    [
      'reconcile.reason',
      report({
        reconcile: { ...(report().reconcile as NonNullable<StatusReport['reconcile']>), reason: HOSTILE },
      }),
      view(),
    ],
    [
      'reconcile.id',
      report({
        reconcile: { ...(report().reconcile as NonNullable<StatusReport['reconcile']>), id: HOSTILE },
      }),
      view(),
    ],
    [
      'reconcile.started_at',
      report({
        reconcile: { ...(report().reconcile as NonNullable<StatusReport['reconcile']>), started_at: HOSTILE },
      }),
      view(),
    ],
    [
      'reconcile.target_deployment_hash',
      report({
        reconcile: {
          ...(report().reconcile as NonNullable<StatusReport['reconcile']>),
          target_deployment_hash: HOSTILE,
        },
      }),
      view(),
    ],
    ['container name', report(), container({ name: HOSTILE })],
    ['container image', report(), container({ image: HOSTILE })],
    ['container image digest', report(), container({ image: `web@${HOSTILE}` })],
    ['container image id', report(), container({ image: 'web:1', imageId: HOSTILE })],
    ['container state', report(), container({ state: HOSTILE })],
    ['container health', report(), container({ health: HOSTILE as never })],
    ['container startedAt', report(), container({ startedAt: HOSTILE })],
    ['history id', report(), newest({ id: HOSTILE })],
    ['history trigger', report(), newest({ trigger: HOSTILE as never })],
    ['history outcome', report(), newest({ outcome: HOSTILE as never })],
    ['history started_at', report(), newest({ started_at: HOSTILE })],
    ['history git_revision', report(), newest({ git_revision: `${HOSTILE}${'0'.repeat(40)}` })],
    ['history step', report(), newest({ step: HOSTILE as never })],
    ['history reason', report(), newest({ reason: HOSTILE })],
    [
      'plan container',
      report(),
      newest({ actions: [{ container: HOSTILE, action: 'replace', reason: 'x' }] }),
    ],
    [
      'plan action',
      report(),
      newest({ actions: [{ container: 'web', action: HOSTILE as never, reason: 'x' }] }),
    ],
    [
      'plan reason',
      report(),
      newest({ actions: [{ container: 'web', action: 'replace', reason: HOSTILE }] }),
    ],
    [
      'job name',
      report(),
      newest({
        jobs: [{ job: HOSTILE, when: 'beforeApply', outcome: 'failed', exit_code: 1, duration_ms: 5 }],
      }),
    ],
    [
      'job when and outcome',
      report(),
      newest({
        jobs: [{ job: 'm', when: HOSTILE as never, outcome: HOSTILE as never, exit_code: 1, duration_ms: 5 }],
      }),
    ],
    [
      'failed container name',
      report(),
      newest({
        failed_containers: [
          {
            ...(rolledBack.failed_containers[0] as HistoryEntry['failed_containers'][number]),
            name: HOSTILE,
          },
        ],
      }),
    ],
    [
      'failed container health',
      report(),
      newest({
        failed_containers: [
          {
            ...(rolledBack.failed_containers[0] as HistoryEntry['failed_containers'][number]),
            health: HOSTILE as never,
          },
        ],
      }),
    ],
  ])('%s', (_field, given, pageView) => {
    expectEscaped(renderStatusPage(given, pageView));
  });

  it('an engine error code that is no code is not shown as it is', () => {
    const html = renderStatusPage(report(), view({ containers: { kind: 'failed', code: HOSTILE } }));
    expectEscaped(html);
  });
});

describe('renderStatusPage content', () => {
  it('shows the containers as the engine reports them: image tag, short digest, state, health, restarts, age', () => {
    const html = renderStatusPage(report(), view());
    expect(html).toContain('<code>registry.example.com/apps/webapp:20260427.2</code>');
    expect(html).toContain('<code>sha256:6f1e2d4c6f1e</code>');
    // Without a digest in the reference, the local image id stands in, marked as such.
    expect(html).toContain('title="local image id: the reference has no digest">sha256:0a1b2c3d0a1b</code>');
    expect(html).toMatch(/data-label="Restarts">2</);
    expect(html).toContain('7 min 00 s ago');
    expect(html).toContain('no healthcheck');
  });

  it('the last deploy is the newest entry that applied something: plan, jobs and failed containers', () => {
    const html = renderStatusPage(report(), view());
    const lastDeploy = section(html, 'last-deploy');
    expect(lastDeploy).toContain('5e1f0c2a9b7d');
    expect(lastDeploy).toContain('image changed (20260427.2 -&gt; 20260428.0)');
    expect(lastDeploy).toContain('<code>migrate</code>');
    expect(lastDeploy).toContain('stow history --logs 5e1f0c2a9b7d');
    expect(lastDeploy).toContain('at verify: webapp: unhealthy after 60 s');
  });

  it('a newer noop does not hide the last deploy; none applied says so', () => {
    const history = rollbackHistory(NOW, { old: OLD, head: HEAD });
    const noopFirst = [history[1] as HistoryEntry, ...history.slice(2)];
    const html = renderStatusPage(report(), view({ history: { kind: 'ok', value: noopFirst } }));
    expect(html).toContain('<p id="last-deploy-summary"><span class="pill ok">converged</span> commit');
    expect(html).toContain('0b1c2d3e4f5a');
    const noops = [history[1] as HistoryEntry];
    expect(renderStatusPage(report(), view({ history: { kind: 'ok', value: noops } }))).toContain(
      'None of the last 1 reconciles applied anything.',
    );
  });

  it('the timeline shows at most 20 entries, collapsed noops with their count, the failure reason', () => {
    const html = renderStatusPage(report(), view());
    const timeline = section(html, 'timeline');
    expect(timeline).toContain('<span class="count">×42</span>');
    expect(timeline).toContain('42 runs');
    expect(timeline).toContain('at fetch: the deployment repository cannot be reached');
    expect(timeline).toMatch(/data-label="Duration">2 min 00 s</);
    const many = Array.from({ length: 30 }, (_, i) => ({
      ...rolledBack,
      id: `entry${String(i).padStart(7, '0')}`,
    }));
    const long = renderStatusPage(report(), view({ history: { kind: 'ok', value: many } }));
    expect(
      long.slice(long.indexOf('<section id="timeline">')).match(/<tr><td data-label="Time">/g),
    ).toHaveLength(20);
  });

  it.each<[string, StatusPageView['history']]>([
    ['absent', { kind: 'absent' }],
    ['timeout', { kind: 'timeout' }],
    ['failed', { kind: 'failed', code: 'EACCES' }],
  ])('a history that is %s is said in words', (_kind, history) => {
    const html = renderStatusPage(report(), view({ history }));
    expect(html).toMatch(/keeps no history|did not load in time|cannot be read \(EACCES\)/);
    expect(html).not.toContain('id="timeline-table"');
  });
});

describe('the engine down', () => {
  it('the page still renders and says the engine cannot be reached, with its code only', () => {
    const html = renderStatusPage(
      report(),
      view({ containers: { kind: 'failed', code: 'ENGINE_UNREACHABLE' } }),
    );
    expect(html).toContain(
      'The Docker engine cannot be reached (ENGINE_UNREACHABLE); the containers are unknown.',
    );
    expect(html).not.toContain('id="containers-table"');
    expect(html).toContain('id="timeline-table"'); // everything else is still there
  });

  it('an engine that does not answer in time is said so, with the bound', () => {
    const html = renderStatusPage(report(), view({ containers: { kind: 'timeout' } }));
    expect(html).toContain('The Docker engine did not answer within 2 s');
  });

  it('no engine at all (a bare page) and an empty deployment are said in words', () => {
    expect(renderStatusPage(report(), BARE_VIEW)).toContain('This daemon has no Docker engine to ask.');
    expect(renderStatusPage(report(), view({ containers: { kind: 'ok', value: [] } }))).toContain(
      'The engine reports no container of the running deployment.',
    );
  });
});

describe('refresh', () => {
  it.each<[StatusReport['state'], boolean]>([
    ['reconciling', true],
    ['queued', true],
    ['pending', true],
    ['running', false],
    ['different', false],
    ['error', false],
    ['unknown', false],
  ])('%s: refreshes itself: %s', (state, refreshes) => {
    const html = renderStatusPage(report({ state }), view());
    expect(html.includes('<meta http-equiv="refresh" content="3">')).toBe(refreshes);
  });
});

describe('commit links', () => {
  it('GitLab: every commit links to <web base>/<project path>/-/commit/<sha>', () => {
    const html = renderStatusPage(report(), view({ commitLink: gitlab('ops/deployments') }));
    expect(html).toContain(
      `<a href="https://git.example.com/ops/deployments/-/commit/${HEAD}"><code title="${HEAD}">22222222</code></a>`,
    );
    expect(html).toContain(
      `<a href="https://git.example.com/ops/deployments/-/commit/${OLD}"><code>${OLD}</code></a>`,
    );
    expect(html).not.toContain('glpat-not-shown');
  });

  it('a git repository source, a numeric project id or a value that is no sha: plain text', () => {
    for (const commitLink of [
      commitLinker({ kind: 'git', repository: '/srv/d.git', branch: undefined }),
      gitlab('42'),
    ]) {
      const html = renderStatusPage(report(), view({ commitLink }));
      expect(html).not.toContain('<a ');
      expect(html).toContain(`<code title="${HEAD}">22222222</code>`);
    }
    expect(gitlab('ops/deployments')(`${HEAD}"><b>`)).toBeUndefined();
    expect(gitlab('ops/deployments')(HEAD.slice(0, 12))).toBeUndefined();
    expect(commitLinker(undefined)(HEAD)).toBeUndefined();
  });

  it('GitLab under a relative URL root and a nested group', () => {
    const link = gitlab('ops/hosts/deployments', 'https://example.com/gitlab/api/v4/');
    expect(link(HEAD)).toBe(`https://example.com/gitlab/ops/hosts/deployments/-/commit/${HEAD}`);
  });
});

describe('formats', () => {
  it.each([
    [850, '850 ms'],
    [12_345, '12.3 s'],
    [245_000, '4 min 05 s'],
    [7_620_000, '2 h 07 min'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('duration %d ms reads %s', (ms, words) => {
    expect(durationOf(ms)).toBe(words);
  });

  it('image parts: a pinned reference, a tag only, nothing', () => {
    expect(imageParts(`web:1@sha256:${'f'.repeat(64)}`, undefined)).toEqual({
      name: 'web:1',
      digest: 'sha256:ffffffffffff',
      isLocalId: false,
    });
    expect(imageParts('web:1', `sha256:${'e'.repeat(64)}`)).toEqual({
      name: 'web:1',
      digest: 'sha256:eeeeeeeeeeee',
      isLocalId: true,
    });
    expect(imageParts(undefined, undefined)).toEqual({
      name: undefined,
      digest: undefined,
      isLocalId: false,
    });
  });
});
