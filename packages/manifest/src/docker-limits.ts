import { isIP } from 'node:net';

// Values Docker refuses at create time (or takes silently and misbehaves with): checked by
// `stow validate` so a bad value is exit 2, not a rollback after the old containers were stopped.

/** Object keys that would reach an object's prototype machinery rather than name a thing. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
export const RESERVED_NAME = 'is a reserved name (__proto__, constructor and prototype are not allowed)';

/** Docker's predefined networks: declaring one would re-create or shadow the engine's own. */
export const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set(['host', 'bridge', 'none', 'default']);

/** HostConfig.NanoCpus: Docker refuses less than 0.01 CPU; 1024 is stow's upper bound. */
export const MIN_CPUS = 0.01;
export const MAX_CPUS = 1024;

/** Docker refuses a memory limit under 6 MiB (linuxMinMemory); stow refuses over 1 PiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 ** 2;
export const MAX_MEMORY_BYTES = 1024 ** 5;

const MEMORY = /^(\d+(?:\.\d+)?)([bkmg]?)$/i;
const MEMORY_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes of `memory` (bytes, or `512m`, `1.5g`, `64k`, `100b`, 1024-based as Docker); undefined when unparsable. */
export function memoryBytes(memory: number | string): number | undefined {
  if (typeof memory === 'number') return Number.isSafeInteger(memory) ? memory : undefined;
  const match = MEMORY.exec(memory);
  if (!match) return undefined;
  const bytes = Math.round(Number(match[1]) * (MEMORY_UNITS[(match[2] || 'b').toLowerCase()] ?? 1));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Why a memory limit is refused, or undefined when Docker takes it. */
export function memoryProblem(memory: number | string): string | undefined {
  const bytes = memoryBytes(memory);
  if (bytes === undefined) return 'must be bytes or a size such as 512m or 1g';
  if (bytes < MIN_MEMORY_BYTES) return 'must be at least 6m (Docker refuses less)';
  if (bytes > MAX_MEMORY_BYTES) return 'must be at most 1 PiB (1048576g)';
  return undefined;
}

/** True for an IPv4 or IPv6 address (an IPv6 one without brackets). */
export const isIpAddress = (text: string): boolean => isIP(text) !== 0;
