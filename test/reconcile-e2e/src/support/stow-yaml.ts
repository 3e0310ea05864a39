import type { Scenario } from './scenario.js';

export interface WebDeploymentOptions {
  /** Image key for the web container (default http-ok). */
  readonly webImage?: 'http-ok' | 'http-ok-2' | 'health-fail' | 'crash' | 'dies-later';
  /** Inline env of the web container. */
  readonly env?: Record<string, string>;
  readonly restart?: string;
  readonly withWorker?: boolean;
  readonly envFiles?: readonly string[];
  /** A full image reference instead of a test image. */
  readonly webImageRef?: string;
  readonly verify?: string | null;
}

const HEALTHCHECK =
  '{ test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:8080/health"], interval: 1s, timeout: 1s, retries: 2 }';

/** A two-container deployment on one network: `web` (HTTP with a healthcheck) and `worker`. */
export function webDeployment(s: Scenario, options: WebDeploymentOptions = {}): string {
  const image = options.webImageRef ?? s.image(options.webImage ?? 'http-ok');
  const env = Object.entries({ APP: 'e2e', ...options.env })
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ');
  const verify =
    options.verify === null
      ? ''
      : `\n  verify: ${options.verify ?? '{ stableSeconds: 2, timeoutSeconds: 20 }'}`;
  const worker =
    options.withWorker === false
      ? ''
      : `
  ${s.name('worker')}:
    image: ${s.image('busybox')}
    command: [sleep, "3600"]
    networks: [${s.name('net')}]
    init: true
    restart: unless-stopped`;
  return `deployment:
  name: ${s.deployment}${verify}
networks:
  ${s.name('net')}: {}
containers:
  ${s.name('web')}:
    image: ${image}
    env: { ${env} }
    envFiles: [${(options.envFiles ?? ['config/web.env']).join(', ')}]
    mounts:
      - { source: config/site.txt, target: /www/site.txt, readOnly: true }
    networks: [${s.name('net')}]
    init: true
    restart: ${options.restart ?? 'unless-stopped'}
    healthcheck: ${HEALTHCHECK}${worker}
`;
}
