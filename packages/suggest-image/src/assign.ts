import { SuggestImageError } from './errors.js';

/** One `--assign` attempt, tried in order. */
export type AssignAttempt =
  | { readonly kind: 'gitlab_user_id' }
  | { readonly kind: 'id'; readonly id: number }
  | { readonly kind: 'user'; readonly username: string };

/** The users GitLab knows, as far as assignment needs them. */
export interface UserDirectory {
  getUser(id: number): Promise<{ id: number; username: string; state: string } | null>;
  findUserByUsername(username: string): Promise<{ id: number; username: string; state: string } | null>;
}

export interface Assignment {
  /** The user to assign, or null when no attempt resolved to an active user. */
  readonly user: { readonly id: number; readonly username: string } | null;
  /** The attempt that gave `user`: its position in `--assign` (0-based) and its text (`user:alice`). */
  readonly attempt: { readonly index: number; readonly label: string } | null;
  /** One line per attempt tried and not taken, saying why (`id:146: user bob (146) is blocked`). */
  readonly reasons: readonly string[];
}

/** Parses `gitlab_user_id,id:146,user:some.username`; anything else is BAD_ASSIGN naming the entry. */
export function parseAssignList(list: string): AssignAttempt[] {
  const entries = list.split(',').map((e) => e.trim());
  return entries.map((entry) => {
    if (entry === 'gitlab_user_id') return { kind: 'gitlab_user_id' };
    const id = /^id:(\d{1,15})$/.exec(entry);
    if (id?.[1] && Number(id[1]) > 0) return { kind: 'id', id: Number(id[1]) };
    const user = /^user:([A-Za-z0-9_.][A-Za-z0-9_.-]{0,254})$/.exec(entry);
    if (user?.[1]) return { kind: 'user', username: user[1] };
    throw new SuggestImageError(
      'BAD_ASSIGN',
      `--assign entry ${JSON.stringify(entry)} is not gitlab_user_id, id:<positive number> or user:<username>`,
    );
  });
}

export const describeAttempt = (a: AssignAttempt): string =>
  a.kind === 'gitlab_user_id' ? 'gitlab_user_id' : a.kind === 'id' ? `id:${a.id}` : `user:${a.username}`;

/**
 * Tries the attempts in order, from position `from`; the first that resolves to an ACTIVE user
 * wins. `gitlab_user_id` reads `GITLAB_USER_ID` (the user who started the pipeline). A lookup that
 * fails (network, 5xx) is a reason like any other: assignment is a courtesy and never stops the
 * merge request. A blocked user is never found by `user:` (GitLab's `/users?username=` hides blocked
 * users from non-admins), so the reason says so.
 */
export async function resolveAssignee(
  attempts: readonly AssignAttempt[],
  users: UserDirectory,
  env: Readonly<Record<string, string | undefined>>,
  from = 0,
): Promise<Assignment> {
  const reasons: string[] = [];
  for (const [index, attempt] of attempts.entries()) {
    if (index < from) continue;
    const label = describeAttempt(attempt);
    let id: number | undefined;
    if (attempt.kind === 'gitlab_user_id') {
      const raw = env.GITLAB_USER_ID?.trim();
      if (!raw) {
        reasons.push(`${label}: GITLAB_USER_ID is not set`);
        continue;
      }
      if (!/^\d{1,15}$/.test(raw) || Number(raw) <= 0) {
        reasons.push(`${label}: GITLAB_USER_ID ${JSON.stringify(raw)} is not a user id`);
        continue;
      }
      id = Number(raw);
    } else if (attempt.kind === 'id') {
      id = attempt.id;
    }
    let user: { id: number; username: string; state: string } | null;
    try {
      user =
        id !== undefined
          ? await users.getUser(id)
          : await users.findUserByUsername((attempt as { username: string }).username);
    } catch (error) {
      reasons.push(`${label}: lookup failed (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    if (!user) {
      reasons.push(
        attempt.kind === 'user'
          ? `${label}: no active user with that name (GitLab does not list blocked users)`
          : `${label}: no such user`,
      );
      continue;
    }
    if (user.state !== 'active') {
      reasons.push(`${label}: user ${user.username} (${user.id}) is ${user.state || 'not active'}`);
      continue;
    }
    return { user: { id: user.id, username: user.username }, attempt: { index, label }, reasons };
  }
  return { user: null, attempt: null, reasons };
}
