import { z } from 'zod';
import { deploymentPathProblem } from './deployment-path.js';
import {
  isIpAddress,
  MAX_CPUS,
  MIN_CPUS,
  memoryProblem,
  PREDEFINED_NETWORKS,
  RESERVED_KEYS,
  RESERVED_NAME,
} from './docker-limits.js';
import { isDuration } from './duration.js';
import { parseImageReference } from './image-reference.js';
import { parsePortBinding } from './port-binding.js';

/** Value of the `stow.deployment` label. */
export const DEPLOYMENT_NAME = /^[a-z0-9][a-z0-9_.-]*$/;
/** Docker's own container-name rule. */
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ENV_NAME = /^[^=\0]+$/;

/** A key of the user's that becomes an object key: never one of the prototype's own names. */
const userKey = (schema: z.ZodString = z.string()) =>
  schema.refine((key) => !RESERVED_KEYS.has(key), { error: RESERVED_NAME });

const deploymentPath = z.string().superRefine((value, ctx) => {
  const problem = deploymentPathProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${problem}` });
});
const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, { error: 'must be an absolute path inside the container' });
const duration = z.string().refine(isDuration, { error: 'must be a duration such as 5s, 1m30s or 500ms' });
const stringList = z.array(z.string());
const argv = z.array(z.string(), { error: 'must be a list of strings, e.g. ["./server", "--port", "8080"]' });

const healthcheck = z.strictObject({
  test: z
    .union([z.array(z.string()).min(1), z.string().min(1)], {
      error: 'must be a list ["CMD", ...] / ["CMD-SHELL", "..."] / ["NONE"], or a shell command string',
    })
    .describe('["CMD", ...], ["CMD-SHELL", "..."], ["NONE"], or a shell command string'),
  interval: duration.optional().describe('time between probes, e.g. 5s'),
  timeout: duration.optional().describe('time a probe may take'),
  startPeriod: duration.optional().describe('failures during this start-up time do not count'),
  startInterval: duration.optional().describe('time between probes during startPeriod'),
  retries: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('consecutive failures that make the container unhealthy'),
});

const mount = z
  .strictObject({
    source: deploymentPath
      .optional()
      .describe('file or directory of the deployment folder (bound from the snapshot)'),
    volume: z
      .string()
      .regex(NETWORK_NAME, { error: 'must be a Docker volume name' })
      .optional()
      .describe('a named Docker volume'),
    hostPath: z
      .string()
      .regex(/^\//, { error: 'must be an absolute host path' })
      .optional()
      .describe('an absolute path on the host'),
    target: absolutePath.describe('absolute path inside the container'),
    readOnly: z.boolean().optional().describe('mount read-only'),
  })
  .superRefine((value, ctx) => {
    const kinds = (['source', 'volume', 'hostPath'] as const).filter((key) => value[key] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'needs one of source (deployment file), volume or hostPath'
            : `has ${kinds.join(' and ')}; a mount takes exactly one of source, volume, hostPath`,
      });
    }
  });

const restart = z.string().regex(/^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/, {
  error: 'must be one of no, always, unless-stopped, on-failure, on-failure:<max retries>',
});

export const containerSchema = z.strictObject({
  image: z.string().min(1).describe('image reference pinned by digest: name[:tag]@sha256:<64 hex>'),
  command: argv.optional().describe('the command, as a list (Config.Cmd)'),
  entrypoint: argv.optional().describe('the entrypoint, as a list (Config.Entrypoint)'),
  env: z
    .record(
      userKey(z.string().regex(ENV_NAME, { error: 'must be a variable name without = or NUL' })),
      z.union([z.string(), z.number(), z.boolean()]),
    )
    .optional()
    .describe('environment variables; they win over envFiles'),
  envFiles: z
    .array(deploymentPath)
    .optional()
    .describe('dotenv files of the deployment folder (SOPS-encrypted ones are decrypted), merged in order'),
  ports: z
    .array(
      z
        .string()
        .refine((text) => parsePortBinding(text) !== undefined, {
          error:
            'must look like [hostIp:][hostPort:]containerPort[/tcp|udp|sctp], e.g. 127.0.0.1:8080:8080/tcp',
          abort: true,
        })
        .refine((text) => hostIpOk(parsePortBinding(text)?.hostIp), {
          error: 'the host IP must be an IPv4 or IPv6 address, e.g. 127.0.0.1 or [::1]',
        }),
    )
    .optional()
    .describe('published ports: [hostIp:][hostPort:]containerPort[/tcp|udp|sctp]'),
  mounts: z.array(mount).optional().describe('bind mounts of deployment files, named volumes, host paths'),
  networks: z
    .array(z.string())
    .optional()
    .describe('networks declared under networks:, joined with the container name as alias'),
  restart: restart
    .optional()
    .describe('restart policy: no, always, unless-stopped, on-failure[:max retries]'),
  healthcheck: healthcheck.optional().describe('Docker healthcheck; verification then waits for healthy'),
  user: z.string().min(1).optional().describe('user[:group] to run as'),
  workingDir: absolutePath.optional().describe('working directory inside the container'),
  hostname: z.string().min(1).optional().describe('container hostname'),
  labels: z
    .record(
      userKey().refine((key) => !key.startsWith('stow.'), {
        error: 'the stow. label prefix is reserved for stow',
      }),
      z.string(),
    )
    .optional()
    .describe('container labels; the stow. prefix is reserved'),
  capAdd: stringList.optional().describe('Linux capabilities to add, e.g. NET_ADMIN'),
  capDrop: stringList.optional().describe('Linux capabilities to drop, e.g. ALL'),
  readOnly: z.boolean().optional().describe('read-only root filesystem'),
  tmpfs: z.array(absolutePath).optional().describe('tmpfs mounts as path[:options], e.g. /run:size=64m'),
  memory: z
    .union([z.number(), z.string()], { error: 'must be bytes or a size such as 512m or 1g' })
    .superRefine((value, ctx) => {
      const problem = memoryProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe('memory limit: bytes, or a size such as 512m or 1g (6m to 1 PiB)'),
  cpus: z
    .number()
    .min(MIN_CPUS, { error: `must be at least ${MIN_CPUS} (Docker refuses less)` })
    .max(MAX_CPUS, { error: `must be at most ${MAX_CPUS}` })
    .optional()
    .describe(`CPU limit in cores, e.g. 0.5 (${MIN_CPUS} to ${MAX_CPUS})`),
  extraHosts: z
    .array(
      z
        .string()
        .regex(/^[^:\s]+:\S+$/, { error: 'must be host:ip', abort: true })
        .refine((entry) => extraHostIpOk(entry.slice(entry.indexOf(':') + 1)), {
          error: 'the ip must be an IPv4 or IPv6 address (or host-gateway)',
        }),
    )
    .optional()
    .describe('extra /etc/hosts entries as host:ip (ip: IPv4, IPv6 or host-gateway)'),
  logging: z
    .strictObject({
      driver: z.string().min(1).describe('log driver, e.g. json-file or journald'),
      options: z.record(userKey(), z.string()).optional().describe('driver options, e.g. max-size: 10m'),
    })
    .optional()
    .describe('log driver and its options (HostConfig.LogConfig)'),
  stopTimeout: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('seconds between SIGTERM (stopSignal) and SIGKILL'),
  init: z.boolean().optional().describe('run an init process as PID 1 (forwards signals, reaps zombies)'),
  stopSignal: z
    .string()
    .regex(/^(SIG[A-Z0-9]+|\d+)$/, { error: 'must be a signal such as SIGTERM' })
    .optional()
    .describe('signal that stops the container (default SIGTERM)'),
  dependsOn: z
    .array(z.string())
    .optional()
    .describe('containers that must be running (and healthy, with a healthcheck) before this one starts'),
});

/** A key a container has and a job must not: a job runs once and exits. */
const notForJobs = (why: string) => z.never({ error: `a job runs once and exits: ${why}` }).optional();

export const JOB_WHEN = ['beforeApply', 'afterVerify'] as const;
const DEFAULT_JOB_TIMEOUT_SECONDS = 300;

/** A one-shot job: the keys of a container except ports, restart and healthcheck (and dependsOn). */
export const jobSchema = containerSchema
  .omit({ ports: true, restart: true, healthcheck: true, dependsOn: true })
  .extend({
    ports: notForJobs('it publishes no ports').describe('a job publishes no ports'),
    restart: notForJobs('it is never restarted').describe('a job is never restarted'),
    healthcheck: notForJobs('its exit code is its verdict').describe(
      'a job has no healthcheck: its exit code is the verdict',
    ),
    dependsOn: notForJobs('jobs run one at a time in file order').describe(
      'jobs run one at a time, in file order',
    ),
    when: z
      .enum(JOB_WHEN, { error: 'must be beforeApply or afterVerify' })
      .default('beforeApply')
      .describe(
        'beforeApply: after pulls, before anything is stopped; afterVerify: before the deploy is confirmed',
      ),
    timeoutSeconds: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_JOB_TIMEOUT_SECONDS)
      .describe('the job must exit 0 within this many seconds'),
  });

const verifySchema = z
  .strictObject({
    stableSeconds: z
      .number()
      .min(0)
      .default(20)
      .describe('every container must stay valid this long without a break'),
    timeoutSeconds: z
      .number()
      .positive()
      .default(60)
      .describe('... within this long from the start of verification'),
  })
  .refine((v) => v.stableSeconds <= v.timeoutSeconds, {
    error: 'stableSeconds must not exceed timeoutSeconds: the stable window has to fit in the timeout',
  });

export const stowManifestSchema = z
  .strictObject({
    deployment: z
      .strictObject({
        name: z
          .string()
          .regex(DEPLOYMENT_NAME, { error: 'must match [a-z0-9][a-z0-9_.-]*' })
          .describe('deployment name: the value of the stow.deployment label'),
        daemonBaseUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
          .optional()
          .describe("this host's daemon, for MR badges and the merge pipeline"),
        environment: z
          .string()
          .min(1)
          .max(255, { error: 'must be at most 255 characters (a GitLab environment name)' })
          // GitLab's rule for environment names (https://gitlab.com/gitlab-org/gitlab-foss/-/issues/59520).
          .regex(/^(?!\/)[a-zA-Z0-9_\-/${}. ]+(?<!\/)$/, {
            error:
              "must be a GitLab environment name: letters, digits, '-', '_', '/', '$', '{', '}', '.' and spaces, not starting or ending with '/'",
          })
          .optional()
          .describe(
            'the GitLab environment deployments of this host are recorded in (default: the subfolder)',
          ),
        verify: verifySchema
          .default({ stableSeconds: 20, timeoutSeconds: 60 })
          .describe('verification windows after an apply'),
        allowUnpinnedImages: z
          .boolean()
          .default(false)
          .describe('allow images without @sha256 digest (not recommended)'),
      })
      .describe('the deployment: its name, its daemon and its verification windows'),
    networks: z
      .record(
        userKey(z.string().regex(NETWORK_NAME, { error: 'must be a Docker network name' })).refine(
          (name) => !PREDEFINED_NETWORKS.has(name),
          { error: "is one of Docker's own networks (host, bridge, none, default); choose another name" },
        ),
        z
          .strictObject({
            internal: z.boolean().optional().describe('no access to the outside'),
            driver: z.string().min(1).optional().describe('network driver (default bridge)'),
          })
          .nullable(),
      )
      .default({})
      .describe('user-defined networks stow creates, labels and prunes'),
    containers: z
      .record(
        userKey(
          z
            .string()
            .regex(CONTAINER_NAME, { error: 'must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)' }),
        ),
        containerSchema,
      )
      .describe('the containers, keyed by their name on the host'),
    jobs: z
      .record(
        userKey(
          z
            .string()
            .regex(CONTAINER_NAME, { error: 'must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)' }),
        ),
        jobSchema,
      )
      .default({})
      .describe('one-shot jobs (migrations, smoke tests), run once per applied deployment, in file order'),
  })
  // Cross-field rules run even when other keys are invalid, so one run reports every problem.
  .check(z.superRefine(crossFieldRules, { when: () => true }));

type Context = Parameters<Parameters<typeof z.superRefine>[0]>[1];

/** Rules that span keys: image pinning, declared networks, host ports published once, start order and
 * job names. Defensive: the value may be partly invalid here. */
function crossFieldRules(value: unknown, ctx: Context): void {
  const manifest = asRecord(value);
  const deployment = asRecord(manifest.deployment);
  const declaredNetworks = asRecord(manifest.networks);
  const containers = asRecord(manifest.containers);
  const jobs = asRecord(manifest.jobs);
  const published = new Map<string, string>();
  const runnables = [
    ...Object.entries(containers).map(([name, raw]) => ['containers', name, asRecord(raw)] as const),
    ...Object.entries(jobs).map(([name, raw]) => ['jobs', name, asRecord(raw)] as const),
  ];
  for (const [section, name, container] of runnables) {
    if (typeof container.image === 'string') {
      const image = parseImageReference(container.image);
      if (!image) {
        ctx.addIssue({
          code: 'custom',
          path: [section, name, 'image'],
          message: `${JSON.stringify(container.image)} is not an image reference (name[:tag]@sha256:<64 hex>)`,
        });
      } else if (!image.digest && deployment.allowUnpinnedImages !== true) {
        ctx.addIssue({
          code: 'custom',
          path: [section, name, 'image'],
          message: `${JSON.stringify(container.image)} must be pinned by digest (name[:tag]@sha256:<64 hex>); set deployment.allowUnpinnedImages: true to allow tags`,
        });
      }
    }
    for (const [index, network] of asArray(container.networks).entries()) {
      if (typeof network === 'string' && !Object.hasOwn(declaredNetworks, network)) {
        ctx.addIssue({
          code: 'custom',
          path: [section, name, 'networks', index],
          message: `network ${JSON.stringify(network)} is not declared under networks:`,
        });
      }
    }
    if (section === 'jobs') continue;
    for (const [index, spec] of asArray(container.ports).entries()) {
      const binding = typeof spec === 'string' ? parsePortBinding(spec) : undefined;
      if (binding?.hostPort === undefined) continue;
      const key = `${binding.hostIp ?? '0.0.0.0'}:${binding.hostPort}/${binding.protocol}`;
      const holder = published.get(key);
      if (holder) {
        ctx.addIssue({
          code: 'custom',
          path: [section, name, 'ports', index],
          message: `host port ${key} is already published by container ${holder}`,
        });
      } else {
        published.set(key, name);
      }
    }
  }
  for (const name of Object.keys(jobs)) {
    if (Object.hasOwn(containers, name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['jobs', name],
        message: `job ${name} has the name of a container; jobs and containers share the host's container names`,
      });
    }
    // A job runs as the container <deployment>.job.<job> (docker-planner jobContainerName).
    const runsAs = `${String(deployment.name)}.job.${name}`;
    if (Object.hasOwn(containers, runsAs)) {
      ctx.addIssue({
        code: 'custom',
        path: ['containers', runsAs],
        message: `is the name job ${name} runs under; rename the container or the job`,
      });
    }
  }
  dependsOnRules(containers, jobs, ctx);
}

/** Every dependsOn entry names another container, and the dependencies form no cycle. */
function dependsOnRules(
  containers: Record<string, unknown>,
  jobs: Record<string, unknown>,
  ctx: Context,
): void {
  const edges = new Map<string, string[]>();
  for (const [name, raw] of Object.entries(containers)) {
    const known: string[] = [];
    for (const [index, dependency] of asArray(asRecord(raw).dependsOn).entries()) {
      if (typeof dependency !== 'string') continue;
      const problem =
        dependency === name
          ? 'is the container itself'
          : Object.hasOwn(containers, dependency)
            ? undefined
            : Object.hasOwn(jobs, dependency)
              ? 'is a job; dependsOn names containers (jobs run before or after all of them)'
              : 'is not a container of this stow.yaml';
      if (problem) {
        ctx.addIssue({
          code: 'custom',
          path: ['containers', name, 'dependsOn', index],
          message: `${JSON.stringify(dependency)} ${problem}`,
        });
      } else {
        known.push(dependency);
      }
    }
    edges.set(name, known);
  }
  const cycle = findCycle(edges);
  if (cycle) {
    const [first = ''] = cycle;
    ctx.addIssue({
      code: 'custom',
      path: ['containers', first, 'dependsOn'],
      message: `dependsOn has a cycle: ${[...cycle, first].join(' -> ')}`,
    });
  }
}

/** One dependency cycle (its containers in order), or undefined. Depth-first, in file order. */
function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    const seenAt = trail.indexOf(name);
    if (seenAt !== -1) return trail.slice(seenAt);
    if (done.has(name)) return undefined;
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of edges.keys()) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** A published port's host IP, when given, is an address Docker can bind. */
function hostIpOk(hostIp: string | undefined): boolean {
  return hostIp === undefined || isIpAddress(hostIp);
}

/** Docker's extra-host ip: an address, or host-gateway (the host's gateway IP). */
function extraHostIpOk(ip: string): boolean {
  return ip === 'host-gateway' || isIpAddress(ip.replace(/^\[|\]$/g, ''));
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** stow.yaml as written (input side). */
export type StowManifestInput = z.input<typeof stowManifestSchema>;
/** stow.yaml after validation, defaults applied. */
export type StowManifest = z.output<typeof stowManifestSchema>;
export type ContainerSpec = z.output<typeof containerSchema>;
export type MountSpec = NonNullable<ContainerSpec['mounts']>[number];
export type HealthcheckSpec = NonNullable<ContainerSpec['healthcheck']>;
export type JobSpec = z.output<typeof jobSchema>;
export type JobWhen = JobSpec['when'];
