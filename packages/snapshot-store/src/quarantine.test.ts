import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createQuarantine } from './quarantine.js';

const root = mkdtempSync(path.join(tmpdir(), 'stow-quarantine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('quarantine', () => {
  it('remembers failed hashes across instances and releases them', async () => {
    const file = path.join(root, 'state.json');
    const failure = {
      deploymentHash: 'a'.repeat(64),
      gitRevision: 'b'.repeat(40),
      reason: 'webapp: unhealthy',
      at: 'now',
    };
    await createQuarantine(file).add(failure);
    expect(await createQuarantine(file).get('a'.repeat(64))).toEqual(failure);
    expect(await createQuarantine(file).list()).toEqual([failure]);
    await createQuarantine(file).release('a'.repeat(64));
    expect(await createQuarantine(file).get('a'.repeat(64))).toBeUndefined();
  });

  it('treats a torn state file as empty rather than failing the reconcile', async () => {
    const file = path.join(root, 'torn.json');
    writeFileSync(file, '{"failedDeploy');
    expect(await createQuarantine(file).get('a'.repeat(64))).toBeUndefined();
  });
});
