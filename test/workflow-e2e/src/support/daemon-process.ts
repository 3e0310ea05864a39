import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { STOW_CLI } from './paths.js';

/**
 * A locked-down config directory as the daemon demands (root-owned, directory 0500, files 0400):
 * daemon.yaml plus the TLS pair. The tests run as root, so files they create are root-owned.
 */
export function lockedConfigDir(
  parent: string,
  files: Record<string, string | Buffer>,
): { dir: string; configFile: string } {
  const dir = path.join(parent, 'etc-stow');
  mkdirSync(dir, { mode: 0o700 });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), content, { mode: 0o400 });
    chmodSync(path.join(dir, name), 0o400);
  }
  chmodSync(dir, 0o500);
  return { dir, configFile: path.join(dir, 'daemon.yaml') };
}

/** `stow daemon --config FILE` as a real process; its JSON log lines are kept. */
export function startDaemon(configFile: string): {
  child: ChildProcess;
  log: string[];
  stop(): Promise<void>;
} {
  const child = spawn(process.execPath, [STOW_CLI, 'daemon', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (chunk: Buffer) => log.push(`stderr: ${chunk.toString()}`));
  return {
    child,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** One HTTPS GET trusting `ca`; resolves with status, headers and body. */
export function httpsGet(
  url: string,
  ca: Buffer,
  accept = 'application/json',
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers: { accept }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
