import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown by handlers to answer with a GitLab-shaped error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' ? JSON.stringify(body) : String(body));
  }
}

/** `{"message": "404 Project Not Found"}` and friends. */
export const notFound = (what: string) => new ApiError(404, { message: `404 ${what} Not Found` });
/** Grape parameter validation: `{"error": "branch is missing"}`. */
export const missing = (param: string) => new ApiError(400, { error: `${param} is missing` });
export const badRequest = (message: unknown) => new ApiError(400, { message });

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string | Buffer, contentType: string) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readBody(
  req: IncomingMessage,
  limit = 64 * 1024 * 1024,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, { message: '413 Request Entity Too Large' });
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  try {
    const parsed = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiError(400, { error: 'The provided content-type is not supported or the body is malformed' });
}

/** Offset pagination with GitLab's headers (x-total, x-next-page, Link rel=next/prev/first/last...). */
export function paginate<T>(
  items: T[],
  url: URL,
  publicBase: string,
): { page: T[]; headers: Record<string, string> } {
  const perPageRaw = Number.parseInt(url.searchParams.get('per_page') ?? '20', 10);
  const perPage = Math.min(100, Math.max(1, Number.isFinite(perPageRaw) ? perPageRaw : 20));
  const pageRaw = Number.parseInt(url.searchParams.get('page') ?? '1', 10);
  const page = Math.max(1, Number.isFinite(pageRaw) ? pageRaw : 1);
  const total = items.length;
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number) => {
    const u = new URL(`${publicBase}${url.pathname}${url.search}`);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return u.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: {
      'x-total': String(total),
      'x-total-pages': String(totalPages),
      'x-per-page': String(perPage),
      'x-page': String(page),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      Link: links.join(', '),
    },
  };
}
