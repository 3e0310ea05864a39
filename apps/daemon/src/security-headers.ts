import type { ZodApp } from './zod-provider.js';

/**
 * The status page is a static document: one inline <style> block (its colour depends on the
 * state, so no fixed hash), no script, no image, no form, no frame. The policy allows exactly that;
 * anything an injected string might try to load or run is refused by the browser.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Headers every answer carries (HTML, SVG, JSON, metrics, errors alike). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // The badge is image/svg+xml and JSON is JSON: never let a browser guess otherwise.
  'x-content-type-options': 'nosniff',
  // Links on the status page must not leak the daemon's URL (and its query) to other sites.
  'referrer-policy': 'no-referrer',
};

/** Adds SECURITY_HEADERS to every answer of the scope it is registered in (errors and 404 included). */
export function securityHeaders(app: ZodApp): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
}
