import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabClient } from './client.js';
import { fakeRetryEnv, TOKEN, tempDir } from './test-support/fixtures.js';

const exec = promisify(execFile);

// A private CA signs the certificate of an HTTPS server answering like GitLab's project endpoint.
describe('custom CA', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: Server;
  let apiUrl: string;
  let ca: string;
  beforeAll(async () => {
    tmp = await tempDir('stow-ca-');
    const f = (n: string) => join(tmp.dir, n);
    const ssl = (...args: string[]) => exec('openssl', args, { cwd: tmp.dir });
    await ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=stow test CA',
    );
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f('srv.key'),
      '-out',
      f('srv.csr'),
      '-subj',
      '/CN=127.0.0.1',
    );
    await writeFile(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    await ssl(
      'x509',
      '-req',
      '-in',
      f('srv.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('srv.pem'),
      '-days',
      '2',
      '-extfile',
      f('ext.cnf'),
    );
    ca = await readFile(f('ca.pem'), 'utf8');
    server = createServer(
      { key: await readFile(f('srv.key')), cert: await readFile(f('srv.pem')) },
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 7,
            path: 'd',
            path_with_namespace: 'ops/d',
            default_branch: 'main',
            web_url: 'x',
          }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`;
  }, 60_000);
  afterAll(async () => {
    server?.close();
    await tmp?.cleanup();
  });

  it('trusts a server signed by the configured CA', async () => {
    const client = createGitlabClient({ apiUrl, token: TOKEN, ca });
    expect((await client.getProject('ops/d')).id).toBe(7);
    await client.close();
  });

  it('refuses the same server without the CA, as a TLS error that is not retried', async () => {
    const rec = fakeRetryEnv();
    const client = createGitlabClient({ apiUrl, token: TOKEN, retryEnv: rec.env });
    const err = await client.getProject('ops/d').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TLS' });
    expect((err as Error).message).toMatch(
      /^GET \/api\/v4\/projects\/ops%2Fd: the server certificate is not trusted/,
    );
    expect(rec.delays).toEqual([]);
    await client.close();
  });
});
