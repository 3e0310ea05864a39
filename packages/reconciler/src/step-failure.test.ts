import { GitlabClientError } from '@stow/gitlab-client';
import { describe, expect, it } from 'vitest';
import { StepFailure } from './step-failure.js';

const withCode = (code: string) => Object.assign(new Error(`failed: ${code}`), { code });

describe('StepFailure classification', () => {
  it.each(['ARCHIVE_UNSAFE', 'ARCHIVE_TOO_LARGE'])(
    'an archive the same commit always yields (%s) is terminal',
    (code) => {
      expect(new StepFailure('fetch', withCode(code)).terminal).toBe(true);
    },
  );

  it('an unsafe archive from the GitLab client is terminal: not retried every poll', () => {
    const error = new GitlabClientError(
      'ARCHIVE_UNSAFE',
      'archive entry "a/b" rejected: "a" is both a file and a directory',
    );
    expect(new StepFailure('fetch', error)).toMatchObject({ terminal: true, step: 'fetch' });
  });

  it('a transient failure is not terminal', () => {
    expect(new StepFailure('fetch', withCode('ECONNRESET')).terminal).toBe(false);
    expect(new StepFailure('fetch', new GitlabClientError('SERVER_ERROR', '502')).terminal).toBe(false);
  });
});
