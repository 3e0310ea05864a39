import path from 'node:path';
import type { DaemonConfig } from '@stow/manifest';
import type { TestCertificate } from '@stow/test-host/tls';

/** A daemon config for tests: loopback on a free port, the test certificate, no real source. */
export function testDaemonConfig(
  dir: string,
  tls: TestCertificate,
  overrides: Partial<DaemonConfig> = {},
): DaemonConfig {
  return {
    file: path.join(dir, 'daemon.yaml'),
    source: { kind: 'git', repository: '/nonexistent', branch: undefined },
    subfolder: 'host',
    keysFile: undefined,
    sopsBinary: undefined,
    listen: { host: '127.0.0.1', port: 0 },
    tls: { certFile: tls.certFile, keyFile: tls.keyFile },
    pollIntervalMs: 3_600_000,
    stateDir: undefined,
    triggerToken: undefined,
    dockerHost: undefined,
    gitlabReports: { commitStatus: false, deployments: false },
    notify: [],
    ...overrides,
  };
}
