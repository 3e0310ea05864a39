import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseImageReference } from '@stow/manifest';
import type { RegistryAuth } from './engine.js';
import { DockerPlannerError } from './errors.js';

/** Credentials for the registry of an image reference, or undefined (anonymous pull). */
export type RegistryAuthLookup = (image: string) => RegistryAuth | undefined;

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_KEYS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Registry host of an image reference, as Docker decides it (`docker.io` without a host part). */
export function registryHostOf(image: string): string {
  const repository = parseImageReference(image)?.repository ?? image;
  const first = repository.split('/')[0] ?? '';
  const isHost =
    repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : DOCKER_HUB;
}

/** `https://index.docker.io/v1/` -> `index.docker.io`; `registry.example.com:5000` stays. */
function normalizeKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
  return DOCKER_HUB_KEYS.has(host) ? DOCKER_HUB : host;
}

/**
 * Builds a lookup from a Docker config file's `auths` (`{ "auths": { host: { "auth": base64("user:pass") } } }`).
 * Pure over the file text; credential helpers (credsStore, credHelpers) are not supported.
 */
export function registryAuthFromConfig(text: string, file: string): RegistryAuthLookup {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(text);
  } catch {
    throw new DockerPlannerError('REGISTRY_AUTH_INVALID', `${file} is not valid JSON`, { file });
  }
  const byHost = new Map<string, RegistryAuth>();
  for (const [key, entry] of Object.entries(config?.auths ?? {})) {
    const host = normalizeKey(key);
    let username = entry?.username;
    let password = entry?.password;
    if (typeof entry?.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) {
        throw new DockerPlannerError(
          'REGISTRY_AUTH_INVALID',
          `${file}: auths.${key}.auth is not base64 of user:password`,
          {
            file,
          },
        );
      }
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (username !== undefined && password !== undefined) {
      byHost.set(host, {
        username,
        password,
        serveraddress: host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host,
      });
    }
  }
  return (image) => byHost.get(registryHostOf(image));
}

export interface ReadDockerConfigOptions {
  /** Default process.env (reads DOCKER_CONFIG). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default os.homedir(). */
  readonly homeDir?: string;
}

/** Reads `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`; a missing file means anonymous pulls. */
export async function readDockerConfigAuth(
  options: ReadDockerConfigOptions = {},
): Promise<RegistryAuthLookup> {
  const env = options.env ?? process.env;
  const dir = env.DOCKER_CONFIG || path.join(options.homeDir ?? os.homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return () => undefined;
    throw new DockerPlannerError(
      'REGISTRY_AUTH_INVALID',
      `cannot read ${file}: ${(error as Error).message}`,
      {
        file,
        cause: error,
      },
    );
  }
  return registryAuthFromConfig(text, file);
}
