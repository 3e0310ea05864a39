import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAssignList, resolveAssignee } from './assign.js';
import { type FakeRepo, fakeRepo } from './test-support/fake-repo.js';

let repo: FakeRepo;
beforeAll(async () => {
  repo = await fakeRepo();
});
afterAll(async () => {
  await repo.close();
});

describe('parseAssignList', () => {
  it('reads the three kinds in order', () => {
    expect(parseAssignList('gitlab_user_id, id:146,user:some.username')).toEqual([
      { kind: 'gitlab_user_id' },
      { kind: 'id', id: 146 },
      { kind: 'user', username: 'some.username' },
    ]);
  });
  it.each(['', 'id:', 'id:0', 'id:-1', 'user:', 'alice', 'gitlab_user_id,', 'user:a b'])(
    'refuses %j',
    (list) => {
      expect(() => parseAssignList(list)).toThrow(/--assign entry/);
    },
  );
});

describe('resolveAssignee against fake GitLab users (146 alice active, 147 bob blocked)', () => {
  const table: Array<{ list: string; env?: Record<string, string>; user: string | null; reasons: string[] }> =
    [
      { list: 'gitlab_user_id,id:146', env: { GITLAB_USER_ID: '146' }, user: 'alice', reasons: [] },
      {
        list: 'gitlab_user_id,id:146',
        env: {},
        user: 'alice',
        reasons: ['gitlab_user_id: GITLAB_USER_ID is not set'],
      },
      {
        list: 'id:147,user:nobody,user:alice',
        user: 'alice',
        reasons: [
          'id:147: user bob (147) is blocked',
          'user:nobody: no active user with that name (GitLab does not list blocked users)',
        ],
      },
      {
        list: 'gitlab_user_id,id:999,user:bob',
        env: { GITLAB_USER_ID: 'x1' },
        user: null,
        reasons: [
          'gitlab_user_id: GITLAB_USER_ID "x1" is not a user id',
          'id:999: no such user',
          'user:bob: no active user with that name (GitLab does not list blocked users)',
        ],
      },
    ];
  for (const row of table) {
    it(`${row.list} with ${JSON.stringify(row.env ?? {})} -> ${row.user ?? 'nobody'}`, async () => {
      const got = await resolveAssignee(parseAssignList(row.list), repo.client, row.env ?? {});
      expect(got.user?.username ?? null).toBe(row.user);
      expect(got.reasons).toEqual(row.reasons);
    });
  }

  it('a failing lookup is a reason, and the next attempt is tried', async () => {
    repo.fake.injectFault({ path: 'users/146', status: 500, times: 5 });
    const got = await resolveAssignee(parseAssignList('id:146,user:alice'), repo.client, {});
    expect(got.user).toEqual({ id: 146, username: 'alice' });
    expect(got.reasons[0]).toMatch(/^id:146: lookup failed \(.*500/);
  });
});
