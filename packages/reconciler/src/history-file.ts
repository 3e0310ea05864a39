import type { FailedContainerLogs, HistoryEntry } from './history-entry.js';

/**
 * The on-disk form of the history (`<stateDir>/.stow/history/`): one file per entry, and one per
 * entry with forensics. What is read back is checked field by field: a file another version, a
 * torn write or a person left behind is reported, never served half-understood.
 */

/** Bumped when the files change shape; a file of another format is unreadable, not misread. */
const FORMAT = 1;

/** `<seq>-<id>.json` and `<seq>-<id>.logs.json`; seq is 10 digits so that names sort by age. */
const FILE_NAME = /^(\d{10})-([0-9a-f]{12})(\.logs)?\.json$/;
export const RECONCILE_ID = /^[0-9a-f]{12}$/;

export interface HistoryFileName {
  readonly seq: number;
  readonly id: string;
  readonly kind: 'entry' | 'logs';
}

export function parseFileName(name: string): HistoryFileName | undefined {
  const match = FILE_NAME.exec(name);
  if (!match) return undefined;
  return { seq: Number(match[1]), id: match[2] as string, kind: match[3] ? 'logs' : 'entry' };
}

export function fileNameOf(seq: number, id: string, kind: 'entry' | 'logs'): string {
  return `${String(seq).padStart(10, '0')}-${id}${kind === 'logs' ? '.logs' : ''}.json`;
}

/** An entry as stored: `collapse` says which later reconciles grow it instead of adding one. */
export interface StoredEntry {
  readonly entry: HistoryEntry;
  readonly collapse: string | null;
}

export function serializeEntry(stored: StoredEntry): string {
  return `${JSON.stringify({ format: FORMAT, collapse: stored.collapse, entry: stored.entry })}\n`;
}

export function serializeLogs(containers: readonly FailedContainerLogs[]): string {
  return `${JSON.stringify({ format: FORMAT, containers })}\n`;
}

/** Throws an Error saying which field is wrong. */
export function parseEntryFile(text: string): StoredEntry {
  const file = formatted(text);
  const collapse = file.collapse === null ? null : field(file, 'collapse', 'string');
  const raw = record(file.entry, 'entry');
  const entry: HistoryEntry = {
    id: field(raw, 'id', 'string'),
    trigger: oneOf(raw, 'trigger', ['poll', 'start', 'trigger', 'manual'] as const),
    started_at: field(raw, 'started_at', 'string'),
    finished_at: field(raw, 'finished_at', 'string'),
    outcome: oneOf(raw, 'outcome', [
      'converged',
      'planned',
      'rolledBack',
      'failed',
      'quarantined',
      'repairFailed',
      'rollbackFailed',
    ] as const),
    count: positiveInteger(raw, 'count'),
    git_revision: nullable(raw, 'git_revision', 'string'),
    deployment_hash: nullable(raw, 'deployment_hash', 'string'),
    step: nullable(raw, 'step', 'string') as HistoryEntry['step'],
    reason: nullable(raw, 'reason', 'string'),
    actions: list(raw, 'actions', (item, at) => ({
      container: field(item, 'container', 'string', at),
      action: oneOf(item, 'action', ['noop', 'replace', 'delete'] as const, at),
      reason: field(item, 'reason', 'string', at),
    })),
    jobs: list(raw, 'jobs', (item, at) => ({
      job: field(item, 'job', 'string', at),
      when: oneOf(item, 'when', ['beforeApply', 'afterVerify'] as const, at),
      outcome: oneOf(item, 'outcome', ['succeeded', 'failed', 'timedOut'] as const, at),
      exit_code: nullable(item, 'exit_code', 'number', at),
      duration_ms: field(item, 'duration_ms', 'number', at),
    })),
    failed_containers: list(raw, 'failed_containers', (item, at) => ({
      name: field(item, 'name', 'string', at),
      exit_code: nullable(item, 'exit_code', 'number', at),
      oom_killed: field(item, 'oom_killed', 'boolean', at),
      health:
        item.health === null
          ? null
          : oneOf(item, 'health', ['healthy', 'unhealthy', 'starting'] as const, at),
      has_logs: field(item, 'has_logs', 'boolean', at),
    })),
  };
  return { entry, collapse };
}

/** Throws an Error saying which field is wrong. */
export function parseLogsFile(text: string): FailedContainerLogs[] {
  return list(formatted(text), 'containers', (item, at) => ({
    name: field(item, 'name', 'string', at),
    exit_code: nullable(item, 'exit_code', 'number', at),
    oom_killed: field(item, 'oom_killed', 'boolean', at),
    log_lines: strings(item, 'log_lines', at),
    health_outputs: strings(item, 'health_outputs', at),
  }));
}

type Json = Record<string, unknown>;
type Kind = 'string' | 'number' | 'boolean';
type KindOf<K extends Kind> = K extends 'string' ? string : K extends 'number' ? number : boolean;

function formatted(text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const file = record(parsed, 'the file');
  if (file.format !== FORMAT) throw new Error(`format ${JSON.stringify(file.format)}, expected ${FORMAT}`);
  return file;
}

function record(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${at}: expected an object`);
  return value as Json;
}

function field<K extends Kind>(object: Json, key: string, kind: K, at = ''): KindOf<K> {
  const value = object[key];
  if (typeof value !== kind) throw new Error(`${at}${key}: expected a ${kind}`);
  return value as KindOf<K>;
}

function nullable<K extends Kind>(object: Json, key: string, kind: K, at = ''): KindOf<K> | null {
  return object[key] === null ? null : field(object, key, kind, at);
}

function positiveInteger(object: Json, key: string): number {
  const value = field(object, key, 'number');
  if (!Number.isInteger(value) || value < 1) throw new Error(`${key}: expected a positive integer`);
  return value;
}

function oneOf<T extends string>(object: Json, key: string, allowed: readonly T[], at = ''): T {
  const value = field(object, key, 'string', at);
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`${at}${key}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

function list<T>(object: Json, key: string, item: (value: Json, at: string) => T): T[] {
  const value = object[key];
  if (!Array.isArray(value)) throw new Error(`${key}: expected a list`);
  return value.map((element, index) => item(record(element, `${key}[${index}]`), `${key}[${index}].`));
}

function strings(object: Json, key: string, at: string): string[] {
  const value = object[key];
  if (!Array.isArray(value) || value.some((line) => typeof line !== 'string'))
    throw new Error(`${at}${key}: expected a list of strings`);
  return value as string[];
}
