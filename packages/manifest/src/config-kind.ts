import { DAEMON_KEYS } from './daemon-schema.js';

export type ConfigKind = 'stow.yaml' | 'daemon.yaml';

/** Tells a stow.yaml (deployment:, containers:) from a daemon.yaml (subfolder:, gitlabBase:, …) by content. */
export function detectConfigKind(data: unknown): ConfigKind | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const keys = Object.keys(data);
  const stowScore = keys.filter(
    (key) => key === 'deployment' || key === 'containers' || key === 'networks',
  ).length;
  const daemonScore = keys.filter((key) => (DAEMON_KEYS as readonly string[]).includes(key)).length;
  if (stowScore === 0 && daemonScore === 0) return undefined;
  return stowScore >= daemonScore ? 'stow.yaml' : 'daemon.yaml';
}
