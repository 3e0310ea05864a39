import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import type { Observation } from './observation.js';
import { missingObservation } from './observation.js';
import { HASH, health, LABELS, running } from './test-support/observations.js';

const expected = { deploymentName: 'shop', deploymentHash: HASH, containers: ['web'] };

describe('evaluate', () => {
  it.each<[string, Observation[], boolean, string, Record<string, string>?]>([
    ['running, no healthcheck', [running('web')], true, 'running'],
    ['running and healthy', [running('web', { health: health('healthy') })], true, 'healthy'],
    ['not observed at all', [], false, 'missing'],
    ['404', [missingObservation('web')], false, 'missing'],
    ['exited', [running('web', { status: 'exited', exitCode: 3 })], false, 'exited (code 3)'],
    [
      'OOM killed',
      [running('web', { status: 'exited', exitCode: 137, oomKilled: true })],
      false,
      'exited (code 137, OOM killed)',
    ],
    ['created', [running('web', { status: 'created' })], false, 'created (not started)'],
    ['paused', [running('web', { status: 'paused' })], false, 'paused'],
    [
      'restarting, first time',
      [running('web', { status: 'restarting', restartCount: 1 })],
      false,
      'restarted 1 time, now restarting',
    ],
    ['running after 2 restarts', [running('web', { restartCount: 2 })], false, 'restarted 2 times'],
    [
      'restarting after an OOM kill',
      [running('web', { status: 'restarting', restartCount: 2, exitCode: 137, oomKilled: true })],
      false,
      'restarted 2 times (last exit 137, OOM killed), now restarting',
    ],
    [
      'restarting after exit 137, the OOM flag not (yet) set by the engine',
      [running('web', { status: 'restarting', restartCount: 2, exitCode: 137, oomKilled: false })],
      false,
      'restarted 2 times (last exit 137, SIGKILL: the OOM killer or a kill), now restarting',
    ],
    [
      'running again after an OOM kill (the engine reset its exit code)',
      [running('web', { restartCount: 1, exitCode: 0, oomKilled: true })],
      false,
      'restarted 1 time (OOM killed)',
    ],
    [
      'exited after retries',
      [running('web', { status: 'exited', exitCode: 3, restartCount: 2 })],
      false,
      'restarted 2 times, now exited (code 3)',
    ],
    [
      'unhealthy',
      [running('web', { health: health('unhealthy', 1) })],
      false,
      'unhealthy (last probe exit code 1)',
    ],
    ['unhealthy without log', [running('web', { health: health('unhealthy') })], false, 'unhealthy'],
    ['health starting', [running('web', { health: health('starting') })], false, 'health starting'],
    [
      'wrong hash label',
      [running('web', { labels: { ...LABELS, 'stow.hash': 'v1:old' } })],
      false,
      'wrong labels',
    ],
    ['no labels', [running('web', { labels: {} })], false, 'wrong labels'],
    [
      'another deployment',
      [running('web', { labels: { ...LABELS, 'stow.deployment': 'blog' } })],
      false,
      'wrong labels',
    ],
    ['replaced', [running('web', { id: 'new' })], false, 'replaced during verification', { web: 'id-web' }],
    ['same id as first seen', [running('web')], true, 'running', { web: 'id-web' }],
  ])('%s', (_name, observations, valid, reason, firstIds) => {
    const result = evaluate(observations, expected, firstIds);
    expect(result.valid).toBe(valid);
    expect(result.containers.web).toMatchObject({ valid, reason });
  });

  it('is valid only when every expected container is; extra observations are ignored', () => {
    const both = { ...expected, containers: ['web', 'db'] };
    expect(
      evaluate([running('web'), running('db'), running('other', { status: 'exited' })], both).valid,
    ).toBe(true);
    const result = evaluate([running('web'), running('db', { restartCount: 2 })], both);
    expect(result.valid).toBe(false);
    expect(result.containers.web?.valid).toBe(true);
    expect(result.containers.db).toEqual({ valid: false, reason: 'restarted 2 times', terminal: true });
  });

  it('accepts a hash given with its v1: prefix', () => {
    expect(evaluate([running('web')], { ...expected, deploymentHash: `v1:${HASH}` }).valid).toBe(true);
  });
});
