// What every bench that starts a real `stow daemon` needs before it can write daemon.yaml.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** Writes a self-signed EC certificate for 127.0.0.1 as tls.crt and tls.key into `dir`. */
export function writeSelfSignedTls(dir) {
  execFileSync(
    'openssl',
    [
      ...[
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
      ],
      ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ...['-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')],
    ],
    { stdio: 'ignore' },
  );
}

/** A TCP port on 127.0.0.1 nothing listens on now: daemon.yaml refuses port 0. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
