import { createHash } from 'node:crypto';
import { escapeHtml } from './html-escape.js';
import type { ConvergenceState } from './status-of.js';

/** Badge colours (shields.io names): running green, reconciling blue, queued yellow, different grey,
 * error red, pending and unknown lightgrey. */
export const BADGE_COLOURS: Record<ConvergenceState | 'invalid', string> = {
  running: '#4c1',
  reconciling: '#007ec6',
  queued: '#dfb317',
  different: '#8a8a8a',
  error: '#e05d44',
  pending: '#9f9f9f',
  unknown: '#bbb',
  invalid: '#bbb',
};

// Approximate advance widths of Verdana 11px (what shields measures with), in pixels.
const NARROW = new Set([..."fijlrt!.,:;|'()[] "]);
const WIDE = new Set([...'mwMW']);
function textWidth(text: string): number {
  let width = 0;
  for (const char of text)
    width += NARROW.has(char) ? 4 : WIDE.has(char) ? 10 : /[A-Z0-9]/.test(char) ? 7.5 : 6.5;
  return Math.round(width);
}

export interface Badge {
  readonly svg: string;
  /** A strong validator of the image: the hash of its bytes. */
  readonly etag: string;
}

const rendered = new Map<string, Badge>();

/** A flat shields-style badge `stow | <state>` (rendered once per state and label). */
export function renderBadge(state: ConvergenceState | 'invalid', label = 'stow'): Badge {
  const key = `${state}\n${label}`;
  let badge = rendered.get(key);
  if (!badge) {
    badge = drawBadge(state, label);
    rendered.set(key, badge);
  }
  return badge;
}

function drawBadge(state: ConvergenceState | 'invalid', label: string): Badge {
  const message = state === 'invalid' ? 'invalid hash' : state;
  const left = textWidth(label) + 10;
  const right = textWidth(message) + 10;
  const total = left + right;
  const colour = BADGE_COLOURS[state];
  const text = (value: string, centre: number) =>
    `<text x="${centre * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${textWidth(value) * 10}">${escapeHtml(value)}</text>` +
    `<text x="${centre * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${textWidth(value) * 10}">${escapeHtml(value)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${escapeHtml(`${label}: ${message}`)}"><title>${escapeHtml(`${label}: ${message}`)}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="${left}" height="20" fill="#555"/><rect x="${left}" width="${right}" height="20" fill="${colour}"/><rect width="${total}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">${text(label, left / 2)}${text(message, left + right / 2)}</g></svg>`;
  const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 27)}"`;
  return { svg, etag };
}
