import { describe, expect, it } from 'vitest';
import { inspectionOf } from './inspection.js';

describe('inspectionOf', () => {
  it('reads State.Status (not State.Running), top-level RestartCount, OOMKilled, StartedAt, the image and the health log', () => {
    const inspection = inspectionOf({
      Id: 'abc',
      Name: '/web',
      Image: `sha256:${'c'.repeat(64)}`,
      RestartCount: 2,
      State: {
        Status: 'restarting',
        ExitCode: 137,
        OOMKilled: true,
        StartedAt: '2026-04-28T10:00:00.123Z',
        Health: {
          Status: 'unhealthy',
          FailingStreak: 4,
          Log: [
            { ExitCode: 0, Output: 'ok', Start: 's1', End: 'e1' },
            { ExitCode: 1, Output: 'connection refused', Start: 's2', End: 'e2' },
          ],
        },
      },
      Config: { Image: `127.0.0.1:5000/web:1@sha256:${'d'.repeat(64)}`, Labels: { a: 'b' }, StopTimeout: 25 },
    });
    expect(inspection).toStrictEqual({
      id: 'abc',
      name: 'web',
      status: 'restarting',
      exitCode: 137,
      oomKilled: true,
      startedAt: '2026-04-28T10:00:00.123Z',
      restartCount: 2,
      labels: { a: 'b' },
      image: `127.0.0.1:5000/web:1@sha256:${'d'.repeat(64)}`,
      imageId: `sha256:${'c'.repeat(64)}`,
      stopTimeoutSeconds: 25,
      health: {
        status: 'unhealthy',
        failingStreak: 4,
        log: [
          { exitCode: 0, output: 'ok', start: 's1', end: 'e1' },
          { exitCode: 1, output: 'connection refused', start: 's2', end: 'e2' },
        ],
      },
    });
  });

  it('has no health without a healthcheck, tolerates null labels and reads a never-started container', () => {
    const inspection = inspectionOf({
      Id: 'abc',
      Name: '/db',
      State: { Status: 'created', StartedAt: '0001-01-01T00:00:00Z', Health: null },
      Config: { Labels: null, StopTimeout: null },
    });
    expect(inspection).toMatchObject({
      name: 'db',
      health: undefined,
      labels: {},
      restartCount: 0,
      exitCode: 0,
      oomKilled: false,
      startedAt: undefined,
      stopTimeoutSeconds: undefined,
    });
  });

  it('keeps an empty health log empty', () => {
    const inspection = inspectionOf({
      Id: 'abc',
      Name: '/db',
      State: { Status: 'running', Health: { Status: 'starting', Log: null } },
      Config: {},
    });
    expect(inspection.health).toEqual({ status: 'starting', failingStreak: 0, log: [] });
  });
});
