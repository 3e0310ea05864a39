import { createRequesterFn } from '@gitbeaker/requester-utils';
import { type Dispatcher, fetch } from 'undici';
import { classifyHttpError, classifyTransportError, endpointLabel, type TokenKind } from './classify.js';
import { GitlabClientError } from './errors.js';
import { parseRetryAfter, type RetryEnv, type RetryPolicy, withRetry } from './retry.js';

export interface RequesterConfig {
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  retryEnv: RetryEnv;
  tokenKind: TokenKind;
  /** Replaces the token in any text that could reach an error. */
  redact(text: string): string;
}

interface HandlerOptions {
  method?: string;
  asStream?: boolean;
  prefixUrl?: string;
  searchParams?: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  signal?: AbortSignal;
}

const MAX_ERROR_BODY = 64 * 1024;

async function readErrorBody(response: Response): Promise<string> {
  try {
    const text = await response.text();
    return text.slice(0, MAX_ERROR_BODY);
  } catch {
    return '';
  }
}

async function processBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (contentType === 'application/json') return (await response.json()) || {};
  if (contentType.startsWith('text/')) return (await response.text()) || '';
  return response.blob();
}

/** Re-labels an error so that no text carries the token. */
function scrub(error: GitlabClientError, redact: (s: string) => string, attempts: number): GitlabClientError {
  const message = `${redact(error.message)}${attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''}`;
  return new GitlabClientError(error.code, message, {
    ...(error.endpoint === undefined ? {} : { endpoint: error.endpoint }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    attempts,
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

/**
 * gitbeaker's requester, replaced: one fetch per attempt through our dispatcher (custom CA, idle
 * timeouts), bounded retries with full jitter honouring Retry-After (a 429 without one waits for
 * GitLab's next rate-limit window), no client-side rate limiter (sources pace archives), and
 * every failure sorted by classify.ts. gitbeaker's own handler retries 429/502 ten times in about
 * 250 ms while ignoring Retry-After, which is why it is not used.
 */
export function createStowRequesterFn(config: RequesterConfig) {
  const handler = async (endpoint: string, options: HandlerOptions) => {
    const method = (options.method ?? 'GET').toUpperCase();
    const base = options.prefixUrl?.endsWith('/') ? options.prefixUrl : `${options.prefixUrl ?? ''}/`;
    const url = new URL(endpoint, base);
    url.search = options.searchParams ?? '';
    const label = endpointLabel(method, url);
    // Workhorse refuses archive downloads that look like browser hotlinks (Sec-Fetch-Mode: cors).
    const mode = endpoint.includes('repository/archive') ? ('same-origin' as const) : undefined;
    let attempts = 0;
    try {
      return await withRetry(
        async () => {
          attempts += 1;
          let response: Response;
          try {
            response = (await fetch(url, {
              method,
              headers: options.headers ?? {},
              ...(options.body === undefined ? {} : { body: options.body as string }),
              ...(mode ? { mode } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              dispatcher: config.dispatcher,
            })) as unknown as Response;
          } catch (error) {
            throw classifyTransportError(error, label);
          }
          if (response.ok) {
            const headers = Object.fromEntries(response.headers.entries());
            if (options.asStream) return { body: response.body, headers, status: response.status };
            try {
              return { body: await processBody(response), headers, status: response.status };
            } catch (error) {
              throw classifyTransportError(error, label);
            }
          }
          throw classifyHttpError({
            method,
            url,
            status: response.status,
            body: await readErrorBody(response),
            contentType: response.headers.get('content-type'),
            retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), config.retryEnv.now()),
            tokenKind: config.tokenKind,
          });
        },
        config.retry,
        config.retryEnv,
        (error) =>
          error instanceof GitlabClientError
            ? {
                transient: error.transient,
                retryAfterMs: error.retryAfterMs,
                rateLimited: error.code === 'RATE_LIMITED',
              }
            : { transient: false },
      );
    } catch (error) {
      const classified = error instanceof GitlabClientError ? error : classifyTransportError(error, label);
      throw scrub(classified, config.redact, attempts);
    }
  };
  return createRequesterFn(
    (_service, requestOptions) => Promise.resolve(requestOptions),
    handler as Parameters<typeof createRequesterFn>[1],
  );
}
