import os from 'node:os';

/** `<base>/status?head_hash=<sha>`: the page every badge, commit status and notification links to. */
export function statusPageUrl(base: string, sha?: string | null): string {
  const page = `${base.replace(/\/+$/, '')}/status`;
  return sha ? `${page}?head_hash=${encodeURIComponent(sha)}` : page;
}

/**
 * The daemon's own base URL from `listen`, for when stow.yaml names no daemonBaseUrl: a wildcard
 * address (0.0.0.0, ::) is not reachable as such, so the machine's hostname stands in for it.
 */
export function listenBaseUrl(listen: { readonly host: string; readonly port: number }): string {
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '';
  const host = wildcard ? os.hostname() : listen.host;
  return `https://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}
