import { createDispatcher } from '@stow/gitlab-client';
import { request } from 'undici';
import { TriggerError } from './errors.js';
import {
  backoffDelay,
  DEFAULT_TRIGGER_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryEnv,
  type RetryPolicy,
  realRetryEnv,
} from './retry.js';

export interface TriggerOptions {
  /** The daemon's base URL (`deployment.daemonBaseUrl`), https. */
  readonly baseUrl: string;
  /** The commit to reconcile to (7..40 hex); the daemon checks it is on the default branch. */
  readonly headHash: string;
  /** Sent as `Authorization: Bearer` (the daemon's triggerToken). */
  readonly token?: string | undefined;
  /** PEM CA certificate(s) trusted in addition to the default roots (STOW_CACERT). */
  readonly ca?: string | Buffer | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Per-attempt bound on connect, headers and body; default 15 s. */
  readonly timeoutMs?: number | undefined;
  readonly retryEnv?: Partial<RetryEnv> | undefined;
  /** Called before each wait (for progress output). */
  readonly onRetry?: ((info: { attempt: number; delayMs: number; reason: string }) => void) | undefined;
}

export interface TriggerResult {
  /** The trigger URL without credentials. */
  readonly url: string;
  readonly status: number;
  readonly attempts: number;
  /** The daemon's JSON answer (`{ head_hash, state, ... }`) when it sent one. */
  readonly body: unknown;
}

/**
 * `https://h:17403/` + `history` -> `https://h:17403/history` (a base path is kept; the base's query
 * and fragment are dropped). Throws BAD_INPUT for anything but an https URL.
 */
export function daemonUrl(baseUrl: string, path: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl.trim());
  } catch {
    throw new TriggerError('BAD_INPUT', `daemon URL ${JSON.stringify(redactUrl(baseUrl))} is not a URL`);
  }
  if (base.protocol !== 'https:') {
    throw new TriggerError(
      'BAD_INPUT',
      `daemon URL ${redactUrl(baseUrl)} must be https (the daemon serves HTTPS only)`,
    );
  }
  base.search = '';
  base.hash = '';
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  return new URL(path, base);
}

/** `https://h:17403/` + sha -> `https://h:17403/trigger?head_hash=sha` (a base path is kept). */
export function triggerUrl(baseUrl: string, headHash: string): URL {
  const url = daemonUrl(baseUrl, 'trigger');
  if (!/^[0-9a-fA-F]{7,40}$/.test(headHash)) {
    throw new TriggerError(
      'BAD_INPUT',
      `head hash ${JSON.stringify(headHash)} is not a commit sha (7 to 40 hex digits)`,
    );
  }
  url.searchParams.set('head_hash', headHash.toLowerCase());
  return url;
}

/** A URL for messages: user and password removed. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return String(url).replace(/\/\/[^/@]*@/, '//');
  }
}

/**
 * POSTs `/trigger?head_hash=` with bounded retries (requestDaemon). Resolves on a 2xx answer (the
 * daemon answers 202); throws TriggerError REJECTED (final 4xx) or GAVE_UP (attempts spent).
 */
export function triggerDaemon(options: TriggerOptions): Promise<TriggerResult> {
  return requestDaemon({
    ...options,
    url: triggerUrl(options.baseUrl, options.headHash),
    method: 'POST',
    refused: 'the trigger',
  });
}

/** One request to a daemon: the connection and retry options of TriggerOptions, and what to ask. */
export interface DaemonRequest extends Omit<TriggerOptions, 'baseUrl' | 'headHash'> {
  /** From daemonUrl or triggerUrl. */
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  /** What a refusal refused, in words: "the daemon refused <refused>". */
  readonly refused: string;
  /** Bytes of the answer read at most (default 64 KiB; the rest is dropped). */
  readonly maxBodyBytes?: number | undefined;
}

/**
 * Asks a daemon with bounded retries: exponential backoff with full jitter on connection errors,
 * timeouts, 429 (Retry-After honoured) and 5xx; any other non-2xx answer is final at once. Resolves
 * on a 2xx answer; throws TriggerError REJECTED (final 4xx, untrusted certificate) or GAVE_UP
 * (attempts spent), naming the URL, the last status and the attempts, never the token.
 */
export async function requestDaemon(options: DaemonRequest): Promise<TriggerResult> {
  const { url, method } = options;
  const shown = redactUrl(url);
  const policy: RetryPolicy = { ...DEFAULT_TRIGGER_RETRY, ...options.retry };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new TriggerError('BAD_INPUT', `retry attempts must be a positive integer, got ${policy.attempts}`);
  }
  const env: RetryEnv = { ...realRetryEnv, ...options.retryEnv };
  const timeoutMs = options.timeoutMs ?? 15_000;
  const dispatcher = createDispatcher({ timeoutMs, ca: options.ca });
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'stow-cli' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const scrub = (text: string) => (options.token ? text.split(options.token).join('[REDACTED]') : text);
  let last = '';
  let lastStatus: number | undefined;
  try {
    for (let attempt = 1; ; attempt += 1) {
      let retryAfterMs: number | undefined;
      try {
        const answer = await request(url, { method, headers, dispatcher });
        const text = await readCapped(answer.body, options.maxBodyBytes ?? 64 * 1024);
        lastStatus = answer.statusCode;
        if (answer.statusCode >= 200 && answer.statusCode < 300) {
          return { url: shown, status: answer.statusCode, attempts: attempt, body: parseJson(text) };
        }
        last = `HTTP ${answer.statusCode}${describeBody(text)}`;
        if (!isRetryableStatus(answer.statusCode)) {
          throw new TriggerError(
            'REJECTED',
            scrub(
              `${method} ${shown}: the daemon refused ${options.refused}: ${last} (attempt ${attempt}; not retried)`,
            ),
            {
              url: shown,
              status: answer.statusCode,
              attempts: attempt,
            },
          );
        }
        if (answer.statusCode === 429 || answer.statusCode === 503) {
          const header = answer.headers['retry-after'];
          retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, env.now());
        }
      } catch (error) {
        if (error instanceof TriggerError) throw error;
        if (isCertificateError(error)) {
          throw new TriggerError(
            'REJECTED',
            `${method} ${shown}: the daemon's TLS certificate is not trusted (${codeOf(error)}); set STOW_CACERT to its CA`,
            { url: shown, attempts: attempt, cause: error },
          );
        }
        last = scrub(`connection failed: ${codeOf(error)}`);
        lastStatus = undefined;
      }
      if (attempt >= policy.attempts) break;
      const delay = backoffDelay(attempt, policy, env.random, retryAfterMs);
      if (delay === null) {
        last = `${last}; the daemon asked to retry after ${Math.ceil((retryAfterMs ?? 0) / 1000)} s, more than the ${policy.maxDelayMs / 1000} s maximum delay`;
        throw gaveUp(method, shown, last, lastStatus, attempt);
      }
      options.onRetry?.({ attempt, delayMs: delay, reason: last });
      await env.sleep(delay);
    }
    throw gaveUp(method, shown, last, lastStatus, policy.attempts);
  } finally {
    await dispatcher.close();
  }
}

function gaveUp(
  method: string,
  url: string,
  last: string,
  status: number | undefined,
  attempts: number,
): TriggerError {
  return new TriggerError(
    'GAVE_UP',
    `${method} ${url}: gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${last}`,
    {
      url,
      ...(status === undefined ? {} : { status }),
      attempts,
    },
  );
}

async function readCapped(body: AsyncIterable<Buffer | Uint8Array>, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < cap) chunks.push(Buffer.from(chunk).subarray(0, cap - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text === '' ? null : text;
  }
}

/** ` (error: "...")` from a JSON `error`/`message`, else the first 200 characters of the text. */
function describeBody(text: string): string {
  const parsed = parseJson(text) as { error?: unknown; message?: unknown; state?: unknown } | string | null;
  if (parsed && typeof parsed === 'object') {
    const said = parsed.error ?? parsed.message;
    if (typeof said === 'string') return `: ${said}`;
    if (typeof parsed.state === 'string') return ` (state ${parsed.state})`;
  }
  const line = typeof parsed === 'string' ? parsed.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return line ? `: ${line}` : '';
}

const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function isCertificateError(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (CERT_CODES.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}

/** `ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`... with the message, for the final error. */
function codeOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 3; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    parts.push(typeof code === 'string' ? `${code} ${message}` : message);
  }
  return parts.join(': ');
}
