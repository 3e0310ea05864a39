import { describe, expect, it } from 'vitest';
import type { DeploymentContainer } from './backend.js';
import { DaemonCore } from './daemon-core.js';
import { silentLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { FakeBackend, hash, sha } from './test-support/fake-backend.js';

describe('per-container and rollback metrics', () => {
  it('reads the containers once per TTL for both gauges and counts rollbacks by outcome', async () => {
    let clock = 0;
    const metrics = createMetrics({ containersTtlMs: 5_000, now: () => clock });
    const backend = new FakeBackend({ [sha('1')]: { deploymentHash: hash('a') } }, sha('1'));
    backend.failing.set(hash('a'), 'verification failed');
    const core = new DaemonCore({ backend, logger: silentLogger, observer: metrics.observer });
    let lists = 0;
    let containers: DeploymentContainer[] = [
      { name: 'web', state: 'running', health: 'healthy' },
      { name: 'db', state: 'running', health: undefined },
      { name: 'worker', state: 'running', health: 'unhealthy' },
      { name: 'cron', state: 'exited', health: undefined },
    ];
    metrics.attach(core, async () => {
      lists += 1;
      return containers;
    });
    await core.requestReconcile('trigger');
    await core.idle();

    const text = await metrics.registry.metrics();
    expect(text).toContain('stow_container_up{container="web"} 1');
    expect(text).toContain('stow_container_up{container="cron"} 0');
    expect(text).toContain('stow_container_healthy{container="web"} 1');
    expect(text).toContain('stow_container_healthy{container="db"} 1');
    expect(text).toContain('stow_container_healthy{container="worker"} 0');
    expect(text).toContain('stow_container_healthy{container="cron"} 0');
    expect(text).toContain('stow_rollbacks_total{outcome="succeeded"} 1');
    expect(lists).toBe(1);

    // Within the TTL a scrape reuses the list; after it, a container gone is gone from the labels.
    await metrics.registry.metrics();
    expect(lists).toBe(1);
    clock = 5_000;
    containers = [{ name: 'web', state: 'running', health: 'healthy' }];
    const later = await metrics.registry.metrics();
    expect(lists).toBe(2);
    expect(later).not.toContain('container="cron"');
  });

  it('reads no container gauge when the engine list fails', async () => {
    const metrics = createMetrics();
    const backend = new FakeBackend({}, sha('1'));
    metrics.attach(new DaemonCore({ backend, logger: silentLogger }), async () => {
      throw new Error('engine unreachable');
    });
    expect(await metrics.registry.metrics()).not.toContain('stow_container_up{');
  });
});
