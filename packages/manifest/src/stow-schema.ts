import { z } from 'zod';
import { deploymentPathProblem } from './deployment-path.js';
import { isDuration } from './duration.js';
import { parseImageReference } from './image-reference.js';
import { parsePortBinding } from './port-binding.js';

/** Value of the `stow.deployment` label. */
export const DEPLOYMENT_NAME = /^[a-z0-9][a-z0-9_.-]*$/;
/** Docker's own container-name rule. */
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ENV_NAME = /^[^=\0]+$/;
const MEMORY = /^\d+(?:\.\d+)?[bkmg]?$/i;

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
  test: z.union([z.array(z.string()).min(1), z.string().min(1)], {
    error: 'must be a list ["CMD", ...] / ["CMD-SHELL", "..."] / ["NONE"], or a shell command string',
  }),
  interval: duration.optional(),
  timeout: duration.optional(),
  startPeriod: duration.optional(),
  startInterval: duration.optional(),
  retries: z.number().int().min(0).optional(),
});

const mount = z
  .strictObject({
    source: deploymentPath
      .optional()
      .describe('file or directory of the deployment folder (bound from the snapshot)'),
    volume: z.string().regex(NETWORK_NAME, { error: 'must be a Docker volume name' }).optional(),
    hostPath: z.string().regex(/^\//, { error: 'must be an absolute host path' }).optional(),
    target: absolutePath,
    readOnly: z.boolean().optional(),
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
  image: z.string().min(1),
  command: argv.optional(),
  entrypoint: argv.optional(),
  env: z.record(z.string().regex(ENV_NAME), z.union([z.string(), z.number(), z.boolean()])).optional(),
  envFiles: z.array(deploymentPath).optional(),
  ports: z
    .array(
      z.string().refine((text) => parsePortBinding(text) !== undefined, {
        error:
          'must look like [hostIp:][hostPort:]containerPort[/tcp|udp|sctp], e.g. 127.0.0.1:8080:8080/tcp',
      }),
    )
    .optional(),
  mounts: z.array(mount).optional(),
  networks: z.array(z.string()).optional(),
  restart: restart.optional(),
  healthcheck: healthcheck.optional(),
  user: z.string().min(1).optional(),
  workingDir: absolutePath.optional(),
  hostname: z.string().min(1).optional(),
  labels: z
    .record(
      z
        .string()
        .refine((key) => !key.startsWith('stow.'), { error: 'the stow. label prefix is reserved for stow' }),
      z.string(),
    )
    .optional(),
  capAdd: stringList.optional(),
  capDrop: stringList.optional(),
  readOnly: z.boolean().optional(),
  tmpfs: z.array(absolutePath.describe('path[:options], e.g. /run:size=64m')).optional(),
  memory: z
    .union([z.number().int().positive(), z.string().regex(MEMORY)], {
      error: 'must be bytes or a size such as 512m or 1g',
    })
    .optional(),
  cpus: z.number().positive().optional(),
  extraHosts: z.array(z.string().regex(/^[^:\s]+:\S+$/, { error: 'must be host:ip' })).optional(),
  logging: z
    .strictObject({ driver: z.string().min(1), options: z.record(z.string(), z.string()).optional() })
    .optional(),
  stopTimeout: z.number().int().min(0).describe('seconds').optional(),
  init: z.boolean().optional(),
  stopSignal: z
    .string()
    .regex(/^(SIG[A-Z0-9]+|\d+)$/, { error: 'must be a signal such as SIGTERM' })
    .optional(),
});

const verifySchema = z
  .strictObject({
    stableSeconds: z.number().min(0).default(20),
    timeoutSeconds: z.number().positive().default(60),
  })
  .refine((v) => v.stableSeconds <= v.timeoutSeconds, {
    error: 'stableSeconds must not exceed timeoutSeconds: the stable window has to fit in the timeout',
  });

export const stowManifestSchema = z
  .strictObject({
    deployment: z.strictObject({
      name: z.string().regex(DEPLOYMENT_NAME, { error: 'must match [a-z0-9][a-z0-9_.-]*' }),
      daemonBaseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      verify: verifySchema.default({ stableSeconds: 20, timeoutSeconds: 60 }),
      allowUnpinnedImages: z.boolean().default(false),
    }),
    networks: z
      .record(
        z.string().regex(NETWORK_NAME, { error: 'must be a Docker network name' }),
        z.strictObject({ internal: z.boolean().optional(), driver: z.string().min(1).optional() }).nullable(),
      )
      .default({}),
    containers: z.record(
      z
        .string()
        .regex(CONTAINER_NAME, { error: 'must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)' }),
      containerSchema,
    ),
  })
  // Cross-field rules run even when other keys are invalid, so one run reports every problem.
  .check(z.superRefine(crossFieldRules, { when: () => true }));

type Context = Parameters<Parameters<typeof z.superRefine>[0]>[1];

/** Rules that span keys: image pinning, declared networks, host ports published once. Defensive: the
 * value may be partly invalid here. */
function crossFieldRules(value: unknown, ctx: Context): void {
  const manifest = asRecord(value);
  const deployment = asRecord(manifest.deployment);
  const declaredNetworks = asRecord(manifest.networks);
  const published = new Map<string, string>();
  for (const [name, raw] of Object.entries(asRecord(manifest.containers))) {
    const container = asRecord(raw);
    if (typeof container.image === 'string') {
      const image = parseImageReference(container.image);
      if (!image) {
        ctx.addIssue({
          code: 'custom',
          path: ['containers', name, 'image'],
          message: `${JSON.stringify(container.image)} is not an image reference (name[:tag]@sha256:<64 hex>)`,
        });
      } else if (!image.digest && deployment.allowUnpinnedImages !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['containers', name, 'image'],
          message: `${JSON.stringify(container.image)} must be pinned by digest (name[:tag]@sha256:<64 hex>); set deployment.allowUnpinnedImages: true to allow tags`,
        });
      }
    }
    for (const [index, network] of asArray(container.networks).entries()) {
      if (typeof network === 'string' && !(network in declaredNetworks)) {
        ctx.addIssue({
          code: 'custom',
          path: ['containers', name, 'networks', index],
          message: `network ${JSON.stringify(network)} is not declared under networks:`,
        });
      }
    }
    for (const [index, spec] of asArray(container.ports).entries()) {
      const binding = typeof spec === 'string' ? parsePortBinding(spec) : undefined;
      if (binding?.hostPort === undefined) continue;
      const key = `${binding.hostIp ?? '0.0.0.0'}:${binding.hostPort}/${binding.protocol}`;
      const holder = published.get(key);
      if (holder) {
        ctx.addIssue({
          code: 'custom',
          path: ['containers', name, 'ports', index],
          message: `host port ${key} is already published by container ${holder}`,
        });
      } else {
        published.set(key, name);
      }
    }
  }
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
