import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The single-file executable an operator installs: what `pnpm build` places at dist/stow, built by
 * turbo into apps/stow/dist/stow before this package's tests run. `STOW_FAULT_BINARY` overrides it.
 */
export const STOW_BINARY =
  process.env.STOW_FAULT_BINARY || fileURLToPath(new URL('../../../../apps/stow/dist/stow', import.meta.url));

/** One JSON log line of the CLI (`--log-json`, stderr) or the daemon (stdout). */
export interface LogEntry {
  readonly msg: string;
  readonly level?: string;
  readonly [key: string]: unknown;
}

export interface StowResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `stow ARGS...` to the end, as a pipeline would (CI=true: no progress output). */
export function runStow(args: readonly string[]): Promise<StowResult> {
  return new Promise((resolve) => {
    execFile(
      STOW_BINARY,
      args,
      { env: { ...process.env, CI: 'true' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A stow process running in the background whose JSON log lines are collected as they come, so a
 * test can act at a precise point (`waitFor`) — kill it, restart dockerd — and read the log after.
 */
export class StowProcess {
  readonly entries: LogEntry[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  #waiters: Array<{ match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }> = [];

  constructor(args: readonly string[], logStream: 'stdout' | 'stderr') {
    this.#child = spawn(STOW_BINARY, args, {
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      let buffer = '';
      this.#child[stream]?.setEncoding('utf8');
      this.#child[stream]?.on('data', (chunk: string) => {
        buffer += chunk;
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          this.output.push(line);
          if (stream === logStream) this.#take(line);
        }
      });
    }
    this.exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number {
    if (this.#child.pid === undefined) throw new Error(`${STOW_BINARY} did not start`);
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves with the first log entry (already seen or still to come) that `match` accepts. */
  waitFor(match: (entry: LogEntry) => boolean, what: string, timeoutMs = 60_000): Promise<LogEntry> {
    const seen = this.entries.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no log line "${what}" within ${timeoutMs} ms; last lines:\n${this.tail()}`));
      }, timeoutMs);
      const done = (entry: LogEntry) => {
        clearTimeout(timer);
        resolve(entry);
      };
      this.#waiters.push({ match, resolve: done });
      void this.exited.then(() => {
        if (this.#waiters.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          reject(new Error(`stow exited before logging "${what}"; last lines:\n${this.tail()}`));
        }
      });
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** Stops it if it still runs (cleanup after a failed test): SIGKILL, then waits. */
  async stop(): Promise<void> {
    if (this.running) this.kill('SIGKILL');
    await this.exited;
  }

  tail(lines = 15): string {
    return this.output.slice(-lines).join('\n');
  }

  #take(line: string): void {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return; // not a log line
    }
    if (typeof entry?.msg !== 'string') return;
    this.entries.push(entry);
    const matched = this.#waiters.filter((w) => w.match(entry));
    this.#waiters = this.#waiters.filter((w) => !w.match(entry));
    for (const waiter of matched) waiter.resolve(entry);
  }
}

/** The one-line verdict `stow reconcile` prints last (after the JSON log lines on stderr). */
export function verdictOf(result: StowResult): string {
  return (
    `${result.stderr}${result.stdout}`
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('{'))
      .at(-1) ?? ''
  );
}
