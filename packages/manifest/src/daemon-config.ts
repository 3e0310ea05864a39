import path from 'node:path';
import { type DaemonConfigInput, daemonConfigSchema, type NotifyEvent } from './daemon-schema.js';
import { parseDuration } from './duration.js';
import { ManifestError } from './errors.js';
import { toManifestIssues } from './schema-issues.js';
import { Secret } from './secret.js';
import { readText } from './stow-manifest.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

export type DesiredStateSourceConfig =
  | {
      readonly kind: 'gitlab';
      readonly apiUrl: string;
      readonly project: string;
      readonly token: Secret;
      /** Archive downloads paced to this many a minute (GitLab.com's limit is 5; default 5). */
      readonly archiveRequestsPerMinute?: number;
    }
  | { readonly kind: 'git'; readonly repository: string; readonly branch: string | undefined };

/** One `notify:` receiver; its URL is a secret (a Slack webhook URL is a credential). */
export interface NotifyTarget {
  readonly url: Secret;
  readonly format: 'json' | 'slack';
  readonly events: readonly NotifyEvent[];
}

/** What the daemon reports to GitLab (GitLab source only; both on unless switched off). */
export interface GitlabReports {
  readonly commitStatus: boolean;
  readonly deployments: boolean;
}

/** daemon.yaml after validation: paths absolute, durations in ms, tokens wrapped as Secret. */
export interface DaemonConfig {
  /** Absolute path of the config file; relative paths inside it resolve against its directory. */
  readonly file: string;
  readonly source: DesiredStateSourceConfig;
  readonly subfolder: string;
  readonly keysFile: string | undefined;
  readonly sopsBinary: string | undefined;
  readonly listen: { readonly host: string; readonly port: number };
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly pollIntervalMs: number;
  readonly stateDir: string | undefined;
  readonly triggerToken: Secret | undefined;
  readonly dockerHost: string | undefined;
  /** Off for a git repository source. */
  readonly gitlabReports: GitlabReports;
  readonly notify: readonly NotifyTarget[];
}

export function parseDaemonConfig(text: string, file: string): DaemonConfig {
  return validateDaemonSource(parseYamlSource(text, file));
}

export async function readDaemonConfig(file: string): Promise<DaemonConfig> {
  return parseDaemonConfig(await readText(file), file);
}

export function validateDaemonSource(source: YamlSource): DaemonConfig {
  if (source.data === null || source.data === undefined) {
    throw new ManifestError('INVALID', source.file, [
      {
        file: source.file,
        keyPath: '',
        message: 'is empty; expected a mapping with subfolder: and a source',
      },
    ]);
  }
  const result = daemonConfigSchema.safeParse(source.data);
  if (!result.success) {
    throw new ManifestError(
      'INVALID',
      source.file,
      toManifestIssues(result.error, source, daemonConfigSchema),
    );
  }
  return resolveDaemonConfig(result.data, path.resolve(source.file));
}

function resolveDaemonConfig(raw: ReturnType<typeof daemonConfigSchema.parse>, file: string): DaemonConfig {
  const base = path.dirname(file);
  const resolvePath = (value: string | undefined) =>
    value === undefined ? undefined : path.resolve(base, value);
  const [host = '0.0.0.0', port = '17403'] = splitListen(raw.listen);
  const source: DesiredStateSourceConfig =
    raw.gitRepository !== undefined
      ? { kind: 'git', repository: resolveRepository(base, raw.gitRepository), branch: raw.branch }
      : {
          kind: 'gitlab',
          apiUrl: (raw.gitlabBase ?? '').replace(/\/+$/, ''),
          project: raw.project ?? '',
          token: new Secret(raw.gitlabToken ?? ''),
          archiveRequestsPerMinute: raw.archiveRequestsPerMinute ?? 5,
        };
  return {
    file,
    source,
    subfolder: raw.subfolder,
    keysFile: resolvePath(raw.keys),
    sopsBinary: resolvePath(raw.sopsBinary),
    listen: { host, port: Number(port) },
    tls:
      raw.tlsCrt !== undefined && raw.tlsKey !== undefined
        ? { certFile: path.resolve(base, raw.tlsCrt), keyFile: path.resolve(base, raw.tlsKey) }
        : undefined,
    pollIntervalMs: parseDuration(raw.pollInterval),
    stateDir: resolvePath(raw.stateDir),
    triggerToken: raw.triggerToken === undefined ? undefined : new Secret(raw.triggerToken),
    dockerHost: raw.dockerHost,
    gitlabReports:
      source.kind === 'gitlab'
        ? { commitStatus: true, deployments: true, ...raw.gitlabReports }
        : { commitStatus: false, deployments: false },
    notify: (raw.notify ?? []).map((target) => ({
      url: new Secret(target.url),
      format: target.format,
      events: target.events,
    })),
  };
}

function splitListen(listen: string): [string, string] {
  const index = listen.lastIndexOf(':');
  return [listen.slice(0, index).replace(/^\[|\]$/g, ''), listen.slice(index + 1)];
}

/** A URL (`https://…`, `ssh://…`, `git@host:path`) stays as written; a local path resolves. */
function resolveRepository(base: string, repository: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || /^[^/]+@[^/]+:/.test(repository)
    ? repository
    : path.resolve(base, repository);
}

export type { DaemonConfigInput };
