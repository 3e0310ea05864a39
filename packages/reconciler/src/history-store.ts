import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { stateLayout } from '@stow/snapshot-store';
import type { FailedContainerLogs, HistoryEntry, HistoryLogs } from './history-entry.js';
import { HISTORY_MAX_ENTRIES } from './history-entry.js';
import {
  fileNameOf,
  type HistoryFileName,
  parseEntryFile,
  parseFileName,
  parseLogsFile,
  RECONCILE_ID,
  type StoredEntry,
  serializeEntry,
  serializeLogs,
} from './history-file.js';

/** One reconcile to record: its entry (count 1) and the forensics of its failed containers. */
export interface HistoryRun {
  readonly entry: HistoryEntry;
  /**
   * Reconciles with the same key in a row grow one entry (count, finished_at, git_revision) instead
   * of adding one: a noop on the same deployment, the same quarantined hash kept out again.
   */
  readonly collapseKey: string | undefined;
  readonly logs: readonly FailedContainerLogs[];
}

/**
 * The durable history of reconciles in `<stateDir>/.stow/history/` (directory 0700, files 0600:
 * forensics hold log lines). Only a reconcile holding the host lock records, so there is one writer;
 * readers (the daemon's routes) may read while it writes, since every file is replaced by rename.
 */
export interface HistoryStore {
  readonly dir: string;
  /**
   * Records one reconcile, then drops the oldest entries beyond the bound with their forensics.
   * Throws when it cannot write; returns the problems it met and went past (an unreadable file).
   */
  record(run: HistoryRun): Promise<readonly string[]>;
  /** The newest `limit` readable entries, newest first; unreadable files are skipped and reported. */
  list(limit: number): Promise<HistoryEntry[]>;
  /** The forensics of entry `id`; undefined when it has none or no entry has that id. */
  logs(id: string): Promise<HistoryLogs | undefined>;
}

export interface HistoryOptions {
  /** Entries kept (default HISTORY_MAX_ENTRIES); tests take fewer. */
  readonly maxEntries?: number;
  /** Told of every unreadable file a read skipped (the daemon logs it). */
  readonly onProblem?: (problem: string) => void;
}

/** Larger files are not read: an entry is a few KiB, forensics at most a few hundred. */
const MAX_ENTRY_BYTES = 1024 * 1024;
const MAX_LOGS_BYTES = 4 * 1024 * 1024;

/** The history of the state directory `stateDir` (nothing is created until the first record). */
export function openHistory(stateDir: string, options: HistoryOptions = {}): HistoryStore {
  const dir = path.join(stateLayout(stateDir).stowDir, 'history');
  const maxEntries = options.maxEntries ?? HISTORY_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new RangeError(`history maxEntries must be a positive integer (got ${maxEntries})`);
  const report = options.onProblem ?? (() => {});

  const files = async (): Promise<Array<HistoryFileName & { readonly name: string }>> => {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .flatMap((name) => {
        const parsed = parseFileName(name);
        return parsed ? [{ ...parsed, name }] : [];
      })
      .sort((a, b) => b.seq - a.seq);
  };

  /** A readable entry, undefined when it vanished (pruned while read), or a problem in words. */
  const readEntry = async (name: string): Promise<StoredEntry | undefined | string> => {
    try {
      const text = await readBounded(path.join(dir, name), MAX_ENTRY_BYTES);
      return text === undefined ? undefined : parseEntryFile(text);
    } catch (error) {
      return `history: ${path.join(dir, name)} is unreadable, skipped: ${messageOf(error)}`;
    }
  };

  return {
    dir,

    async record({ entry, collapseKey, logs }) {
      if (!RECONCILE_ID.test(entry.id))
        throw new Error(`history: reconcile id ${JSON.stringify(entry.id)} is not 12 hex digits`);
      try {
        await fs.mkdir(dir, { recursive: true, mode: 0o700 });
        await fs.chmod(dir, 0o700);
      } catch (error) {
        throw new Error(`history: cannot create ${dir}: ${messageOf(error)}`);
      }
      const problems: string[] = [];
      const existing = await files();
      // A crash between writing and renaming leaves a temporary file; only this writer makes them.
      for (const name of await fs.readdir(dir)) {
        if (name.includes('.tmp-')) await fs.rm(path.join(dir, name), { force: true });
      }

      const newest = existing.find((file) => file.kind === 'entry');
      if (collapseKey !== undefined && newest) {
        const stored = await readEntry(newest.name);
        if (typeof stored === 'string') problems.push(stored);
        else if (stored?.collapse === collapseKey) {
          const grown: HistoryEntry = {
            ...stored.entry,
            count: stored.entry.count + 1,
            finished_at: entry.finished_at,
            git_revision: entry.git_revision,
          };
          await writeAtomic(
            path.join(dir, newest.name),
            serializeEntry({ entry: grown, collapse: collapseKey }),
          );
          return problems;
        }
      }

      // Forensics first: an entry never names logs that are not on disk.
      const seq = (existing[0]?.seq ?? 0) + 1;
      if (logs.length > 0) {
        const text = serializeLogs(logs);
        checkSize(text, MAX_LOGS_BYTES, 'forensics');
        await writeAtomic(path.join(dir, fileNameOf(seq, entry.id, 'logs')), text);
      }
      const text = serializeEntry({ entry, collapse: collapseKey ?? null });
      checkSize(text, MAX_ENTRY_BYTES, 'entry');
      await writeAtomic(path.join(dir, fileNameOf(seq, entry.id, 'entry')), text);

      // Bound: the newest maxEntries entries; every file older than the oldest kept goes with them.
      const entrySeqs = [seq, ...existing.filter((f) => f.kind === 'entry').map((f) => f.seq)];
      const oldestKept = entrySeqs[maxEntries - 1];
      if (oldestKept !== undefined) {
        for (const file of existing.filter((f) => f.seq < oldestKept))
          await fs.rm(path.join(dir, file.name), { force: true });
      }
      return problems;
    },

    async list(limit) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new RangeError(`history limit must be a positive integer (got ${limit})`);
      const entries: HistoryEntry[] = [];
      for (const file of await files()) {
        if (entries.length >= limit) break;
        if (file.kind !== 'entry') continue;
        const stored = await readEntry(file.name);
        if (typeof stored === 'string') report(stored);
        else if (stored) entries.push(stored.entry);
      }
      return entries;
    },

    async logs(id) {
      if (!RECONCILE_ID.test(id)) return undefined;
      const file = (await files()).find((f) => f.kind === 'logs' && f.id === id);
      if (!file) return undefined;
      const full = path.join(dir, file.name);
      try {
        const text = await readBounded(full, MAX_LOGS_BYTES);
        return text === undefined ? undefined : { id, containers: parseLogsFile(text) };
      } catch (error) {
        throw new Error(`history: ${full} is unreadable: ${messageOf(error)}`);
      }
    },
  };
}

/** The file's text, at most `maxBytes` (a larger one is an error); undefined when it does not exist. */
async function readBounded(file: string, maxBytes: number): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new Error(`${size} bytes, more than the ${maxBytes} a history file may hold`);
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Temporary file, flushed, renamed over: a reader or a crash sees the old file or the new one whole. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new Error(`history: cannot write ${file}: ${messageOf(error)}`);
  }
}

function checkSize(text: string, maxBytes: number, what: string): void {
  const size = Buffer.byteLength(text);
  if (size > maxBytes) throw new Error(`history: the ${what} is ${size} bytes, more than ${maxBytes}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
