import { escapeHtml } from '../html-escape.js';

/** Escaped text, or an em dash for nothing. */
export function text(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : escapeHtml(String(value));
}

/** `2026-04-28 10:00:03 UTC` in a <time> element; a value that is no date is shown as it is. */
export function timeOf(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeHtml(iso);
  const utc = date.toISOString();
  return `<time datetime="${escapeHtml(utc)}">${escapeHtml(`${utc.slice(0, 10)} ${utc.slice(11, 19)} UTC`)}</time>`;
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 07 min`. */
export function durationOf(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3_600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The time between two ISO instants, or undefined when either is no date. */
export function msBetween(
  from: string | null | undefined,
  to: string | null | undefined,
): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `5 min ago` for a start time, relative to the page's `now`. */
export function ageOf(iso: string | undefined, now: number): string | undefined {
  const ms = msBetween(iso, new Date(now).toISOString());
  return ms === undefined ? undefined : `${durationOf(Math.max(0, ms))} ago`;
}

/** A commit as people write it: the first 8 characters (GitLab's short id). */
export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

/**
 * An image reference split for reading: `name:tag` and the short digest of a pinned reference
 * (`sha256:6f1e2d4c8b0a`); without a digest, the short local image id stands in, marked as such.
 */
export function imageParts(
  image: string | undefined,
  imageId: string | undefined,
): { readonly name: string | undefined; readonly digest: string | undefined; readonly isLocalId: boolean } {
  const at = image?.indexOf('@') ?? -1;
  const name = image === undefined ? undefined : at === -1 ? image : image.slice(0, at);
  const pinned = image !== undefined && at !== -1 ? image.slice(at + 1) : undefined;
  const short = (digest: string) => digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1');
  if (pinned) return { name, digest: short(pinned), isLocalId: false };
  return {
    name,
    digest: imageId === undefined ? undefined : short(imageId),
    isLocalId: imageId !== undefined,
  };
}
