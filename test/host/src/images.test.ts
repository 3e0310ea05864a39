import { randomUUID } from 'node:crypto';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestHost, pullImage, TEST_IMAGE_NAMES, type TestHost } from './index.js';

// Real engine, real registry: these prove the images built by ci/setup-test-host behave as the
// e2e suites expect. Every container carries stow.test=host plus this run's id, for clean-up.
const RUN = randomUUID();
const LABELS = { 'stow.test': 'host', 'stow.test.run': RUN };
const SECOND = 1_000_000_000; // Docker durations are nanoseconds

let host: TestHost;
let docker: Dockerode;

beforeAll(async () => {
  host = await loadTestHost();
  docker = host.docker;
}, 300_000);

afterAll(async () => {
  if (!docker) return;
  const left = await docker.listContainers({ all: true, filters: { label: [`stow.test.run=${RUN}`] } });
  await Promise.all(left.map((c) => removeContainer(c.Id)));
}, 60_000);

function isStatus(e: unknown, code: number): boolean {
  return (e as { statusCode?: number }).statusCode === code;
}

async function removeContainer(id: string): Promise<void> {
  await docker
    .getContainer(id)
    .remove({ force: true })
    .catch((e: unknown) => {
      if (!isStatus(e, 404)) throw e;
    });
}

/** Creates and starts a labelled container (Init: true, so SIGTERM stops sh/sleep/httpd at once). */
async function start(
  options: Dockerode.ContainerCreateOptions,
  hostConfig: Dockerode.HostConfig = {},
): Promise<Dockerode.Container> {
  const container = await docker.createContainer({
    ...options,
    Labels: LABELS,
    HostConfig: { Init: true, ...hostConfig },
  });
  await container.start();
  return container;
}

/** Polls inspect every 100 ms until `done` holds; fails with the last observation on timeout. */
async function waitFor(
  container: Dockerode.Container,
  what: string,
  done: (info: Dockerode.ContainerInspectInfo) => boolean,
  timeoutMs = 20_000,
): Promise<Dockerode.ContainerInspectInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await container.inspect();
    if (done(info)) return info;
    if (Date.now() > deadline) {
      const seen = {
        Status: info.State.Status,
        Health: info.State.Health?.Status,
        Restarts: info.RestartCount,
      };
      throw new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(seen)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function healthcheck(retries = 3): Dockerode.HealthConfig {
  return { Test: host.healthcheck, Interval: SECOND, Timeout: 5 * SECOND, Retries: retries };
}

const health = (info: Dockerode.ContainerInspectInfo) => info.State.Health?.Status;
/** `host:port/path/name:tag` -> `host:port/path/name` */
const repoOf = (ref: string) => ref.slice(0, ref.lastIndexOf(':'));

describe('test images on the real engine', () => {
  it('lists every image with a distinct registry digest', () => {
    expect(host.registry).toBe('127.0.0.1:5000');
    const digests = TEST_IMAGE_NAMES.map((name) => host.images[name].digest);
    expect(new Set(digests).size).toBe(TEST_IMAGE_NAMES.length);
    expect(host.images['http-ok-2'].ref).toBe('127.0.0.1:5000/stow-test/http-ok:2');
  });

  it('pulls the images by digest from the registry after the local copy is removed', async () => {
    // An image some container uses (the quick start's demo leaves its deployment running) cannot be
    // removed, and a test must never touch containers it did not make: those images are skipped.
    const inUse = new Set((await docker.listContainers({ all: true })).map((container) => container.ImageID));
    const exercised: string[] = [];
    for (const name of TEST_IMAGE_NAMES) {
      const { pinned, digest, ref } = host.images[name];
      // Remove the local image (tag and digest references) so that only the registry can supply it.
      const local = await docker
        .getImage(pinned)
        .inspect()
        .catch((e: unknown) => (isStatus(e, 404) ? undefined : Promise.reject(e)));
      if (local && inUse.has(local.Id)) continue;
      if (local) await docker.getImage(local.Id).remove();
      await expect(docker.getImage(pinned).inspect()).rejects.toMatchObject({ statusCode: 404 });

      await pullImage(docker, pinned);
      const pulled = await docker.getImage(pinned).inspect();
      expect(pulled.RepoDigests).toContain(`${repoOf(ref)}@${digest}`);
      expect(pulled.Config.Env).toContain('PATH=/bin');
      exercised.push(name);
    }
    // health-fail, crash and dies-later are used by no long-lived container: at least those are pulled.
    expect(exercised.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('rejects a digest the registry does not have', async () => {
    const unknown = `${repoOf(host.images['http-ok'].ref)}@sha256:${'0'.repeat(64)}`;
    await expect(pullImage(docker, unknown)).rejects.toMatchObject({ code: 'PULL_FAILED' });
  }, 30_000);

  it('http-ok:1 and http-ok:2 serve different pages and become healthy', async () => {
    for (const [name, page] of [
      ['http-ok', 'http-ok v1\n'],
      ['http-ok-2', 'http-ok v2\n'],
    ] as const) {
      const container = await start(
        { Image: host.images[name].pinned, Healthcheck: healthcheck(), ExposedPorts: { '8080/tcp': {} } },
        { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      );
      const info = await waitFor(container, `${name} healthy`, (i) => health(i) === 'healthy');
      expect(info.State.Status).toBe('running');
      const port = info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
      expect(await res.text()).toBe(page);
      await removeContainer(container.id);
    }
  }, 60_000);

  it('health-fail runs but becomes unhealthy', async () => {
    const container = await start({ Image: host.images['health-fail'].pinned, Healthcheck: healthcheck(2) });
    const info = await waitFor(container, 'unhealthy', (i) => health(i) === 'unhealthy');
    expect(info.State.Status).toBe('running');
    expect(info.State.Health?.FailingStreak).toBeGreaterThanOrEqual(2);
    await removeContainer(container.id);
  }, 30_000);

  it('crash exits with code 3 and is restarted under on-failure', async () => {
    const container = await start(
      { Image: host.images.crash.pinned },
      { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } },
    );
    const running = await container.inspect();
    expect(running.State.Status).toBe('running');
    const info = await waitFor(container, 'a restart', (i) => i.RestartCount > 0);
    expect(info.State.ExitCode).toBe(3);
    await removeContainer(container.id);
  }, 30_000);

  it('dies-later with DIE_AFTER=3 is healthy, then exits 1', async () => {
    const container = await start({
      Image: host.images['dies-later'].pinned,
      Env: ['DIE_AFTER=3'],
      Healthcheck: healthcheck(),
    });
    await waitFor(container, 'healthy', (i) => i.State.Status === 'running' && health(i) === 'healthy');
    const info = await waitFor(container, 'exit', (i) => i.State.Status === 'exited');
    expect(info.State.ExitCode).toBe(1);
    // Engine-measured lifetime: DIE_AFTER=3 was honoured (the default is 8 s).
    const lived = Date.parse(info.State.FinishedAt) - Date.parse(info.State.StartedAt);
    expect(lived).toBeGreaterThanOrEqual(3000);
    expect(lived).toBeLessThan(7000);
    await removeContainer(container.id);
  }, 30_000);

  it('busybox runs a command with PATH=/bin and the linked applets', async () => {
    const container = await docker.createContainer({
      Image: host.images.busybox.pinned,
      Cmd: ['sh', '-c', 'test "$PATH" = /bin && date >/dev/null && ls /tmp && exit 7'],
      Labels: LABELS,
      HostConfig: { Init: true },
    });
    await container.start();
    const info = await waitFor(container, 'exit', (i) => i.State.Status === 'exited');
    expect(info.State.ExitCode).toBe(7);
    await removeContainer(container.id);
  }, 30_000);
});
