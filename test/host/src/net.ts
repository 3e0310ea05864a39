import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on at the moment. daemon.yaml refuses port 0 (listen
 * is 1-65535), so tests that start a real daemon probe a free port first.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
