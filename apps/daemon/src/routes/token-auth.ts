import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '@stow/manifest';
import { DaemonError } from '../errors.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Throws UNAUTHORIZED (401; the error handler adds `WWW-Authenticate`) unless the request presents
 * `token` as `Authorization: Bearer <token>`, or as `X-Gitlab-Token` where `gitlabHeader` allows it
 * (GitLab webhooks send their secret there). The message says where the token goes, never the token.
 */
export function requireToken(headers: Headers, token: Secret, options: { gitlabHeader: boolean }): void {
  if (tokenMatches(presentedToken(headers, options.gitlabHeader), token.reveal())) return;
  const where = options.gitlabHeader ? 'Authorization: Bearer or X-Gitlab-Token' : 'Authorization: Bearer';
  throw new DaemonError('UNAUTHORIZED', `missing or wrong trigger token (${where})`);
}

function presentedToken(headers: Headers, gitlabHeader: boolean): string | undefined {
  const gitlab = headers['x-gitlab-token'];
  if (gitlabHeader && typeof gitlab === 'string') return gitlab;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  return undefined;
}

/** Constant time in the token's contents and length: both sides are hashed first. */
function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
