import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerEngine } from './dockerode-engine.js';

/** A stand-in Engine API on a unix socket: each test sets how it answers. */
let dir: string;
let socketPath: string;
let server: http.Server;
let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};
const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stow-engine-'));
  socketPath = path.join(dir, 'docker.sock');
  server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      auth: req.headers['x-registry-auth'] as string | undefined,
    });
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

function engine(callTimeoutMs = 5000) {
  return createDockerEngine(new Docker({ socketPath }), { callTimeoutMs, pullTimeoutMs: 5000 });
}

describe('createDockerEngine against a stand-in Engine API', () => {
  it('finds an in-band pull error in a 200 stream and sends the registry auth header', async () => {
    seen.length = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"Pulling from stow-test/web"}\n');
      res.end('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n');
    };
    const auth = { username: 'ci', password: 'pw', serveraddress: 'r.example.com' };
    await expect(
      engine().pullImage(`r.example.com/web@sha256:${'0'.repeat(64)}`, auth),
    ).rejects.toMatchObject({
      code: 'PULL_FAILED',
      message: `pulling r.example.com/web@sha256:${'0'.repeat(64)}: manifest unknown`,
    });
    expect(seen[0]?.url).toContain(`fromImage=r.example.com%2Fweb&tag=sha256%3A${'0'.repeat(64)}`);
    expect(JSON.parse(Buffer.from(seen[0]?.auth ?? '', 'base64').toString())).toEqual(auth);
  });

  it('a clean pull stream succeeds', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end('{"status":"Digest: sha256:x"}\n{"status":"Status: Downloaded newer image"}\n');
    };
    await expect(engine().pullImage('r.example.com/web:1', undefined)).resolves.toBeUndefined();
  });

  it('304 on start/stop and 404 on remove/stop are success; 404 inspect is undefined', async () => {
    handler = (req, res) => {
      if (req.url?.includes('/start') || req.url?.includes('/stop')) res.writeHead(304).end();
      else json(res, 404, { message: 'No such container: x' });
    };
    const e = engine();
    await e.startContainer('x');
    await e.stopContainer('x', 1);
    await e.removeContainer('x');
    expect(await e.inspectContainer('x')).toBeUndefined();
    expect(await e.imageExists('r.example.com/web:1')).toBe(false);
    handler = (_req, res) => json(res, 404, { message: 'No such container: x' });
    await e.stopContainer('x', 1);
  });

  it("inspect answers the port's ContainerInspection, image and health log included", async () => {
    // Image and Config.Image as a real engine answers them (docker.io 20.10, a digest-pinned busybox).
    const image = `127.0.0.1:5000/stow-test/busybox:1@sha256:${'c'.repeat(64)}`;
    handler = (_req, res) =>
      json(res, 200, {
        Id: 'abc',
        Name: '/web',
        Image: `sha256:${'d'.repeat(64)}`,
        RestartCount: 1,
        State: {
          Status: 'running',
          ExitCode: 0,
          OOMKilled: false,
          StartedAt: '2026-04-28T10:00:00Z',
          Health: { Status: 'unhealthy', FailingStreak: 3, Log: [{ ExitCode: 1, Output: 'refused' }] },
        },
        Config: { Image: image, Labels: { 'stow.deployment': 'shop' }, StopTimeout: 5 },
      });
    expect(await engine().inspectContainer('web')).toMatchObject({
      id: 'abc',
      name: 'web',
      image,
      imageId: `sha256:${'d'.repeat(64)}`,
      restartCount: 1,
      startedAt: '2026-04-28T10:00:00Z',
      stopTimeoutSeconds: 5,
      labels: { 'stow.deployment': 'shop' },
      health: { status: 'unhealthy', failingStreak: 3, log: [{ exitCode: 1, output: 'refused' }] },
    });
  });

  it('409 on create is NAME_CONFLICT with the engine message; 403 on network remove is NETWORK_IN_USE', async () => {
    handler = (req, res) =>
      req.url?.startsWith('/containers/create')
        ? json(res, 409, { message: 'Conflict. The container name "/web" is already in use' })
        : json(res, 403, { message: 'error while removing network: network backend has active endpoints' });
    const e = engine();
    await expect(
      e.createContainer({ name: 'web', Image: 'x', Labels: {}, HostConfig: {} }),
    ).rejects.toMatchObject({
      code: 'NAME_CONFLICT',
      container: 'web',
      statusCode: 409,
      message: 'creating container web: Conflict. The container name "/web" is already in use',
    });
    await expect(e.removeNetwork('backend')).rejects.toMatchObject({
      code: 'NETWORK_IN_USE',
      network: 'backend',
    });
  });

  it('creates networks with CheckDuplicate and the label', async () => {
    seen.length = 0;
    let body = '';
    handler = (req, res) => {
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => json(res, 201, { Id: 'net-1' }));
    };
    const id = await engine().createNetwork({
      name: 'backend',
      driver: undefined,
      internal: true,
      labels: { 'stow.deployment': 'shop' },
    });
    expect(id).toBe('net-1');
    expect(JSON.parse(body)).toEqual({
      Name: 'backend',
      CheckDuplicate: true,
      Internal: true,
      Labels: { 'stow.deployment': 'shop' },
    });
  });

  it('an engine that does not answer is ENGINE_TIMEOUT (calls and image inspect)', async () => {
    handler = () => {};
    const e = engine(300);
    await expect(e.listContainers()).rejects.toMatchObject({ code: 'ENGINE_TIMEOUT' });
    await expect(e.imageExists('r.example.com/web:1')).rejects.toMatchObject({ code: 'ENGINE_TIMEOUT' });
  });

  it('a missing socket is ENGINE_UNREACHABLE', async () => {
    const e = createDockerEngine(new Docker({ socketPath: path.join(dir, 'nothing.sock') }));
    await expect(e.listContainers()).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE' });
  });

  it('waits for a job: its exit code, or undefined when it outlives the timeout', async () => {
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { StatusCode: 3 });
    expect(await engine().waitContainer('job-1', 5000)).toBe(3);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/containers/job-1/wait?condition=not-running' });
    handler = () => {};
    expect(await engine().waitContainer('job-1', 200)).toBeUndefined();
  });

  it('reads the last log lines of a job, stdout and stderr frames joined in order', async () => {
    seen.length = 0;
    const frame = (stream: number, text: string) => {
      const payload = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    };
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
      res.end(Buffer.concat([frame(1, 'migrating\n'), frame(2, 'error: duplicate key\n')]));
    };
    expect(await engine().containerLogs('job-1', { tail: 20 })).toBe('migrating\nerror: duplicate key\n');
    expect(seen[0]?.url).toMatch(/^\/containers\/job-1\/logs\?.*tail=20/);
  });
});
