import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DockerPlannerError } from '@stow/docker-planner';
import type { ContainerSpec } from '@stow/manifest';
import type { TestHost } from '@stow/test-host';
import { loadTestHost } from '@stow/test-host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Revision } from './support.js';
import { E2eDeployment, fakeHash, removeLabelled, TEST_LABEL } from './support.js';

let host: TestHost;
const deployments: E2eDeployment[] = [];

beforeAll(async () => {
  host = await loadTestHost();
});

afterAll(async () => {
  if (!host) return;
  await Promise.all(deployments.map((d) => d.cleanup()));
  await removeLabelled(host);
});

function deployment(label: string): E2eDeployment {
  const d = new E2eDeployment(host, label);
  deployments.push(d);
  return d;
}

/** An http-ok style service with the standard wget healthcheck (1 s interval). */
function service(image: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    image,
    init: true,
    stopTimeout: 2,
    healthcheck: { test: host.healthcheck, interval: '1s', timeout: '2s', retries: 2 },
    ...extra,
  };
}

async function containerId(name: string): Promise<string> {
  return (await host.docker.getContainer(name).inspect()).Id;
}

describe('docker-planner + rollout-verifier on a real engine', () => {
  it('deploys two containers with a network and a snapshot bind mount, verifies, then plans all noop', async () => {
    const d = deployment('deploy');
    const snapshot = await d.makeSnapshotDir();
    await writeFile(path.join(snapshot, 'extra.txt'), `snapshot of ${d.name}\n`);
    const net = d.c('net');
    const revision: Revision = {
      hash: fakeHash(`${d.name}-1`),
      networks: { [net]: {} },
      containers: {
        [d.c('web')]: service(host.images['http-ok'].pinned, {
          networks: [net],
          ports: ['127.0.0.1::8080'],
          mounts: [{ source: 'extra.txt', target: '/www/extra.txt', readOnly: true }],
          env: { GREETING: 'hello' },
        }),
        [d.c('api')]: service(host.images['http-ok-2'].pinned, {
          networks: [net],
          restart: 'unless-stopped',
        }),
      },
    };

    const { plan, result } = await d.apply(revision);
    expect(plan.actions.map((a) => [a.action, a.reason])).toEqual([
      ['replace', 'missing'],
      ['replace', 'missing'],
    ]);
    expect(result.networksCreated).toEqual([net]);
    expect(result.created.map((c) => c.container)).toEqual([d.c('web'), d.c('api')]);

    const outcome = await d.verify(revision, 2000, 30_000);
    expect(outcome).toMatchObject({ ok: true });

    // The bind mount serves the snapshot file; the labels and network alias are in place.
    const web = await host.docker.getContainer(d.c('web')).inspect();
    expect(web.Config.Labels).toMatchObject({
      'stow.deployment': d.name,
      'stow.hash': `v1:${revision.hash}`,
      'stow.container': d.c('web'),
      ...TEST_LABEL,
    });
    expect(web.NetworkSettings.Networks[net]?.Aliases).toContain(d.c('web'));
    const hostPort = web.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    const response = await fetch(`http://127.0.0.1:${hostPort}/extra.txt`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(await response.text()).toBe(`snapshot of ${d.name}\n`);
    const networks = await host.docker.listNetworks({ filters: { name: [net] } });
    expect(networks.find((n) => n.Name === net)?.Labels).toEqual({ 'stow.deployment': d.name });

    const again = await d.plan(revision);
    expect(again.unchanged).toBe(true);
    expect(again.actions.map((a) => a.action)).toEqual(['noop', 'noop']);

    // Next revision: web changes image and leaves the network, api goes, the network is pruned.
    const next: Revision = {
      hash: fakeHash(`${d.name}-2`),
      containers: { [d.c('web')]: service(host.images['http-ok-2'].pinned) },
    };
    const second = await d.apply(next);
    expect(second.plan.actions.map((a) => [a.container, a.action])).toEqual([
      [d.c('web'), 'replace'],
      [d.c('api'), 'delete'],
    ]);
    expect(second.result.removed.map((r) => r.id).sort()).toEqual(result.created.map((c) => c.id).sort());
    expect(second.result.networksPruned).toEqual([net]);
    expect(await d.verify(next, 1000, 30_000)).toMatchObject({ ok: true });
    await expect(host.docker.getContainer(d.c('api')).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await d.plan(next)).unchanged).toBe(true);
  });

  it('fails verification with unhealthy for an image whose healthcheck fails', async () => {
    const d = deployment('unhealthy');
    const revision: Revision = {
      hash: fakeHash(`${d.name}-1`),
      containers: { [d.c('web')]: service(host.images['health-fail'].pinned) },
    };
    await d.apply(revision);
    const outcome = await d.verify(revision, 2000, 10_000);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reasons[d.c('web')]).toMatch(/^unhealthy/);
    expect(outcome.summary).toContain(`${d.c('web')}: unhealthy`);
  });

  it('fails verification with restarted N times for a crash loop under on-failure', async () => {
    const d = deployment('crash');
    const revision: Revision = {
      hash: fakeHash(`${d.name}-1`),
      containers: {
        [d.c('worker')]: {
          image: host.images.crash.pinned,
          init: true,
          restart: 'on-failure',
          env: { CRASH_AFTER: 1 },
        },
      },
    };
    await d.apply(revision);
    const outcome = await d.verify(revision, 2000, 20_000);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reasons[d.c('worker')]).toMatch(/^restarted \d+ times?/);
  });

  it('a digest missing from the registry aborts before anything is stopped', async () => {
    const d = deployment('pullfail');
    const v1: Revision = {
      hash: fakeHash(`${d.name}-1`),
      containers: { [d.c('web')]: service(host.images['http-ok'].pinned) },
    };
    await d.apply(v1);
    const before = await containerId(d.c('web'));
    const missing = `${host.images['http-ok'].ref}@sha256:${'0'.repeat(64)}`;
    const v2: Revision = { hash: fakeHash(`${d.name}-2`), containers: { [d.c('web')]: service(missing) } };

    const error = (await d.apply(v2).catch((e: unknown) => e)) as DockerPlannerError;
    expect(error.code).toBe('PULL_FAILED');
    expect(error.message).toContain(`${host.registry}/stow-test/http-ok@sha256:${'0'.repeat(64)}`);

    const after = await host.docker.getContainer(d.c('web')).inspect();
    expect(after.Id).toBe(before);
    expect(after.State.Status).toBe('running');
    expect(after.Config.Labels['stow.hash']).toBe(`v1:${v1.hash}`);
  });

  it('a foreign container holding a desired name is a conflict and nothing changes', async () => {
    const d = deployment('conflict');
    const name = d.c('web');
    const foreign = await host.docker.createContainer({
      name,
      Image: host.images.busybox.pinned,
      Cmd: ['sleep', '300'],
      Labels: { ...TEST_LABEL },
      HostConfig: { Init: true },
    });
    await foreign.start();
    const net = d.c('net');
    const revision: Revision = {
      hash: fakeHash(`${d.name}-1`),
      networks: { [net]: {} },
      containers: {
        [name]: service(host.images['http-ok'].pinned, { networks: [net] }),
        [d.c('db')]: service(host.images['http-ok'].pinned),
      },
    };

    const error = (await d.apply(revision).catch((e: unknown) => e)) as DockerPlannerError;
    expect(error.code).toBe('NAME_CONFLICT');
    expect(error.container).toBe(name);
    expect(error.message).toContain(`container ${name}`);

    const after = await host.docker.getContainer(name).inspect();
    expect(after.Id).toBe(foreign.id);
    expect(after.State.Status).toBe('running');
    await expect(host.docker.getContainer(d.c('db')).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const networks = await host.docker.listNetworks({ filters: { name: [net] } });
    expect(networks.filter((n) => n.Name === net)).toEqual([]);
  });
});
