import type { Scenario } from './scenario.js';

/** What a revision of the jobs scenario runs: the migration's shell script, more jobs, more containers. */
export interface JobsDeploymentOptions {
  /** The beforeApply migration's `sh -c` script; it sees the named volume at /data and secrets/app.env. */
  readonly migrate?: string;
  /** Extra `jobs:` entries, as YAML (4-space keys under a 2-space job name). */
  readonly moreJobs?: string;
  /** Extra `containers:` entries, as YAML, listed before web. */
  readonly containersBefore?: string;
  /** web's dependsOn. */
  readonly webDependsOn?: readonly string[];
}

const HEALTHCHECK =
  '{ test: [CMD, wget, -q, -O, /dev/null, "http://127.0.0.1:8080/health"], interval: 1s, timeout: 1s, retries: 2 }';

/** The named volume the migration writes and web serves (httpd -h /www). */
export const siteVolume = (s: Scenario) => s.name('site');

/** The scenario's cleanup, then its site volume (the containers using it are gone by then). */
export async function cleanupWithSiteVolume(s: Scenario): Promise<void> {
  await s.cleanup();
  await s.docker
    .getVolume(siteVolume(s))
    .remove()
    .catch(() => undefined);
}

/**
 * `web` serves the named volume at /www (its port published on a random 127.0.0.1 port); the
 * beforeApply job `migrate` writes the site into that volume first.
 */
export function jobsDeployment(s: Scenario, options: JobsDeploymentOptions = {}): string {
  const migrate = options.migrate ?? 'echo v1 > /data/index.html && echo ok > /data/health';
  const dependsOn = options.webDependsOn ? `\n    dependsOn: [${options.webDependsOn.join(', ')}]` : '';
  return `deployment:
  name: ${s.deployment}
  verify: { stableSeconds: 1, timeoutSeconds: 20 }
networks:
  ${s.name('net')}: {}
containers:
${options.containersBefore ?? ''}  ${s.name('web')}:
    image: ${s.image('http-ok')}
    ports: ["127.0.0.1::8080"]
    mounts:
      - { volume: ${siteVolume(s)}, target: /www, readOnly: true }
    networks: [${s.name('net')}]
    init: true
    restart: unless-stopped
    healthcheck: ${HEALTHCHECK}${dependsOn}
jobs:
  migrate:
    image: ${s.image('busybox')}
    command: [sh, -c, ${JSON.stringify(migrate)}]
    envFiles: [secrets/app.env]
    mounts:
      - { volume: ${siteVolume(s)}, target: /data }
    networks: [${s.name('net')}]
    timeoutSeconds: 30
${options.moreJobs ?? ''}`;
}
