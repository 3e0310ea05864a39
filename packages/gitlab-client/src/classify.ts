import { GitlabClientError, type GitlabClientErrorCode } from './errors.js';

export type TokenKind = 'access' | 'job';

/** `GET /api/v4/projects/1/repository/archive.tar.gz`: method and path, never the query or a token. */
export function endpointLabel(method: string, url: URL | string): string {
  const pathname = typeof url === 'string' ? new URL(url).pathname : url.pathname;
  return `${method.toUpperCase()} ${pathname}`;
}

/** The scope a GitLab token needs for a method: reads need read_api, writes need api. */
export function scopeFor(method: string): 'read_api' | 'api' {
  return ['GET', 'HEAD'].includes(method.toUpperCase()) ? 'read_api' : 'api';
}

/** GitLab's error text from a JSON or text body: `message` / `error` (+ description), arrays joined. */
export function gitlabMessage(body: string, contentType: string | null): string {
  let text = body.trim();
  if (contentType?.includes('application/json')) {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      const flatten = (v: unknown): string => {
        if (typeof v === 'string') return v;
        if (Array.isArray(v)) return v.map(flatten).join('; ');
        if (v && typeof v === 'object') {
          return Object.entries(v)
            .map(([k, x]) => `${k} ${flatten(x)}`)
            .join('; ');
        }
        return v === undefined || v === null ? '' : String(v);
      };
      const main = flatten(parsed.message ?? parsed.error ?? '');
      const extra = typeof parsed.error_description === 'string' ? ` (${parsed.error_description})` : '';
      text = `${main}${extra}`;
    } catch {
      // keep the raw text
    }
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

/** What a 404 on this path is about, for the message. */
function resourceOf(pathname: string): string {
  if (/\/repository\/archive/.test(pathname)) return 'the commit or subfolder does not exist in the project';
  if (/\/repository\/files\//.test(pathname)) return 'the file or ref does not exist';
  if (/\/repository\/commits\//.test(pathname)) return 'the commit does not exist in the project';
  if (/\/repository\/branches\//.test(pathname)) return 'the branch does not exist';
  if (/\/merge_requests\//.test(pathname)) return 'the merge request does not exist';
  if (/^\/api\/v4\/users\//.test(pathname)) return 'the user does not exist';
  if (/^\/api\/v4\/projects\/[^/]+$/.test(pathname) || /\/projects\//.test(pathname)) {
    return 'the project does not exist or the token cannot see it';
  }
  return 'the resource does not exist';
}

export interface HttpFailure {
  method: string;
  url: URL;
  status: number;
  body: string;
  contentType: string | null;
  retryAfterMs?: number | undefined;
  tokenKind: TokenKind;
}

/** Sorts one failed HTTP answer into a GitlabClientError: the only place that maps statuses to codes. */
export function classifyHttpError(f: HttpFailure): GitlabClientError {
  const endpoint = endpointLabel(f.method, f.url);
  const said = gitlabMessage(f.body, f.contentType);
  const says = said ? ` (GitLab: "${said}")` : '';
  const scope = scopeFor(f.method);
  const make = (code: GitlabClientErrorCode, text: string) =>
    new GitlabClientError(code, `${endpoint}: ${text}`, {
      endpoint,
      status: f.status,
      ...(f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs }),
    });
  const s = f.status;
  if ((s === 401 || s === 403) && f.tokenKind === 'job') {
    return make(
      s === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
      `${s}: CI_JOB_TOKEN cannot call this endpoint; use a project, group or personal access token with scope ${scope}${says}`,
    );
  }
  if (s === 401) {
    return make(
      'UNAUTHORIZED',
      `401 Unauthorized: the GitLab access token was rejected (wrong, expired or revoked); it needs scope ${scope}${says}`,
    );
  }
  if (s === 403) {
    return make(
      'FORBIDDEN',
      `403 Forbidden: the GitLab access token lacks permission; it needs scope ${scope} and a role that allows this${says}`,
    );
  }
  if (s === 404) return make('NOT_FOUND', `404 not found: ${resourceOf(f.url.pathname)}${says}`);
  if (s === 409) return make('CONFLICT', `409 conflict${says}`);
  if (s === 429) {
    const wait = f.retryAfterMs === undefined ? '' : ` (Retry-After ${Math.ceil(f.retryAfterMs / 1000)}s)`;
    return make('RATE_LIMITED', `429 rate limited by GitLab${wait}${says}`);
  }
  if (s >= 500) return make('SERVER_ERROR', `${s} GitLab server error${says}`);
  return make('REJECTED', `${s} request rejected${says}`);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/;
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Sorts a failure that is not an HTTP status (fetch/stream errors) into a GitlabClientError:
 * timeouts and connection problems are transient, certificate problems are not.
 */
export function classifyTransportError(error: unknown, endpoint: string): GitlabClientError {
  if (error instanceof GitlabClientError) return error;
  const code = errorCode(error);
  const name = (error as { name?: string } | null)?.name;
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  if (name === 'TimeoutError' || name === 'AbortError' || (code && TIMEOUT_CODES.has(code))) {
    return new GitlabClientError('TIMEOUT', `${endpoint}: timed out (${detail})`, { endpoint, cause: error });
  }
  if (code && TLS_CODES.test(code)) {
    return new GitlabClientError(
      'TLS',
      `${endpoint}: the server certificate is not trusted (${code}); configure the CA certificate`,
      { endpoint, cause: error },
    );
  }
  return new GitlabClientError('NETWORK', `${endpoint}: connection failed (${detail})`, {
    endpoint,
    cause: error,
  });
}
