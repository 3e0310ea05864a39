import type { DeploymentContainer } from '../backend.js';
import { escapeHtml } from '../html-escape.js';
import { ageOf, imageParts, text, timeOf } from './format.js';
import type { Fetched } from './fresh-read.js';
import { pill, reflowTable, type Tone } from './table.js';

const HEALTH_TONE: Record<string, Tone> = { healthy: 'ok', starting: 'warn', unhealthy: 'bad' };

/** The running deployment's containers as the engine reports them, or why they are unknown. */
export function containersSection(
  fetched: Fetched<readonly DeploymentContainer[]>,
  options: { readonly now: number; readonly timeoutMs: number },
): string {
  return `<section id="containers">\n<h2>Containers</h2>\n${containersBody(fetched, options)}\n</section>`;
}

function containersBody(
  fetched: Fetched<readonly DeploymentContainer[]>,
  options: { readonly now: number; readonly timeoutMs: number },
): string {
  switch (fetched.kind) {
    case 'absent':
      return '<p class="note">This daemon has no Docker engine to ask.</p>';
    case 'timeout':
      return `<p class="note engine-down">The Docker engine did not answer within ${escapeHtml(String(options.timeoutMs / 1000))} s; the containers are unknown for now.</p>`;
    case 'failed':
      return `<p class="note engine-down">The Docker engine cannot be reached (${escapeHtml(fetched.code)}); the containers are unknown. The daemon log has the details.</p>`;
    case 'ok':
      break;
  }
  if (fetched.value.length === 0) {
    return '<p class="note">The engine reports no container of the running deployment.</p>';
  }
  return reflowTable(
    'containers-table',
    ['Name', 'Image', 'Digest', 'State', 'Health', 'Restarts', 'Started'],
    fetched.value.map((c) => {
      const image = imageParts(c.image, c.imageId);
      const age = ageOf(c.startedAt, options.now);
      return [
        { label: 'Name', html: `<code>${text(c.name)}</code>` },
        { label: 'Image', html: image.name ? `<code>${text(image.name)}</code>` : '—' },
        {
          label: 'Digest',
          html: image.digest
            ? `<code${image.isLocalId ? ' title="local image id: the reference has no digest"' : ''}>${text(image.digest)}</code>`
            : '—',
        },
        { label: 'State', html: pill(c.state, c.state === 'running' ? 'ok' : 'bad') },
        {
          label: 'Health',
          html: c.health ? pill(c.health, HEALTH_TONE[c.health] ?? 'neutral') : 'no healthcheck',
        },
        { label: 'Restarts', html: text(c.restartCount) },
        {
          label: 'Started',
          html: c.startedAt ? `${timeOf(c.startedAt)}${age ? ` (${text(age)})` : ''}` : '—',
        },
      ];
    }),
  );
}
