import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from './support/scenario.js';
import { webDeployment } from './support/stow-yaml.js';

const s = new Scenario();
beforeAll(async () => {
  await s.start();
});
afterAll(async () => {
  await s.cleanup();
});

describe('verification with the default windows (20 s stable within 60 s)', () => {
  it('holds a deploy for the full stable window before calling it converged', async () => {
    await s.repo.commit({
      'stow.yaml': webDeployment(s, { verify: null, withWorker: false }),
      'config/web.env': '',
      'config/site.txt': 'x\n',
    });
    const started = Date.now();
    const outcome = await s.reconcile();
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ kind: 'converged', changed: true });
    expect(elapsed).toBeGreaterThanOrEqual(20_000);
    expect(elapsed).toBeLessThan(60_000);
  });
});
