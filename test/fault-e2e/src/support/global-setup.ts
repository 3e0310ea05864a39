import { testHost } from './test-host-ctl.js';

/**
 * Whatever a case did to dockerd or the registry, and whether it passed or failed, the engine and
 * the registry are up and healthy when the suite ends (ci/setup-test-host, idempotent).
 */
export async function teardown(): Promise<void> {
  await testHost('ensure');
}
