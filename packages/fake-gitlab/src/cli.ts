#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createFakeGitlab } from './server.js';
import type { FakeToken, TokenScope } from './types.js';

const USAGE = `usage: stow-fake-gitlab --repo <bare repo> [--port 0] [--host 127.0.0.1] [--project ops/deployments]
       [--token TOKEN[:scope,scope]]... [--job-token TOKEN]... [--user id:username[:state]]...`;

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    project: { type: 'string', default: 'ops/deployments' },
    token: { type: 'string', multiple: true, default: [] },
    'job-token': { type: 'string', multiple: true, default: [] },
    user: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || !values.repo) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}

const tokens: FakeToken[] = [
  ...values.token.map((spec): FakeToken => {
    const [token = '', scopes] = spec.split(':');
    return { token, kind: 'access', scopes: (scopes?.split(',') ?? ['api']) as TokenScope[] };
  }),
  ...values['job-token'].map((token): FakeToken => ({ token, kind: 'job' })),
];
const users = values.user.map((spec) => {
  const [id = '', username = '', state] = spec.split(':');
  return { id: Number(id), username, state: (state ?? 'active') as 'active' };
});

const fake = await createFakeGitlab({
  repo: values.repo,
  port: Number(values.port),
  host: values.host,
  project: values.project,
  tokens,
  ...(users.length > 0 ? { users } : {}),
});
process.stdout.write(`${fake.apiUrl}\n`);
const stop = () => {
  fake.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
