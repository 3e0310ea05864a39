import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeState } from './state.js';
import type { FakeUser } from './types.js';

export interface Ctx {
  state: FakeState;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The acting user (the token's user; the first user for anonymous reads). */
  user: FakeUser;
  body(): Promise<Record<string, unknown>>;
}

export type Handler = (ctx: Ctx) => Promise<void>;

export interface Route {
  method: string;
  /** Path segments below /api/v4; `:name` captures one (decoded) segment, a RegExp matches and captures. */
  segments: Array<string | { name: string; re: RegExp }>;
  access: 'read' | 'write';
  /** CI_JOB_TOKEN may call it (GitLab's allow list). */
  jobToken: boolean;
  /** Lives under /projects/:id (anonymous callers get 404 Project Not Found). */
  project: boolean;
  handler: Handler;
}
