import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DaemonConfig } from '@stow/manifest';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonError } from './errors.js';
import { readLockedDownConfig, readTrustedInputs } from './lockdown.js';
import { inside, withDirectoryChain } from './trusted-path.js';

// These tests build real trees and chown entries to another uid: they run as root, as the daemon
// does (and as the test host's CI does). /tmp is root-owned with the sticky bit: a safe ancestor.
const OTHER_UID = 1000;
const root = mkdtempSync(path.join(tmpdir(), 'stow-lockdown-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory under the test root (root-owned 0700). */
function fresh(): string {
  const dir = path.join(root, `case-${++counter}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** A locked-down config directory: 0500, files 0400, all root's. */
function lockedConfigDir(parent: string, files: Record<string, string> = {}): string {
  const dir = path.join(parent, 'etc-stow');
  mkdirSync(dir, { mode: 0o700 });
  for (const [name, content] of Object.entries({ 'daemon.yaml': 'subfolder: host\n', ...files })) {
    writeFileSync(path.join(dir, name), content, { mode: 0o400 });
  }
  chmodSync(dir, 0o500);
  return dir;
}

/** The LOCKDOWN error `attempt` rejects with. */
async function refusal(attempt: Promise<unknown>): Promise<DaemonError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DaemonError)) throw new Error(`expected a DaemonError, got ${String(error)}`);
  expect(error.code).toBe('LOCKDOWN');
  return error;
}

const lockdownError = (configFile: string) => refusal(readLockedDownConfig(configFile));

describe('the config lockdown', () => {
  it('accepts a locked-down directory and returns daemon.yaml as read through the checked fd', async () => {
    const dir = lockedConfigDir(fresh(), { 'tls.crt': 'crt' });
    expect(await readLockedDownConfig(path.join(dir, 'daemon.yaml'))).toEqual({
      file: path.join(dir, 'daemon.yaml'),
      text: 'subfolder: host\n',
    });
  });

  const contents: [string, (dir: string) => string, string][] = [
    [
      'a 0644 file',
      (dir) => mode(path.join(dir, 'daemon.yaml'), 0o644),
      'has mode 0644; files must be mode 0400',
    ],
    ['a 0440 file', (dir) => file(dir, 'tls.crt', 0o440), 'has mode 0440; files must be mode 0400'],
    [
      'a file owned by another uid',
      (dir) => owned(file(dir, 'tls.key', 0o400)),
      `is owned by uid ${OTHER_UID}; must be owned by root (uid 0)`,
    ],
    [
      'a symlink',
      (dir) => {
        symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
        return path.join(dir, 'passwd');
      },
      'is a symlink; only regular files and directories may be here',
    ],
    [
      'a fifo',
      (dir) => {
        execFileSync('mkfifo', [path.join(dir, 'pipe')]);
        return path.join(dir, 'pipe');
      },
      'is a fifo; only regular files and directories may be here',
    ],
    [
      'a 0755 subdirectory',
      (dir) => {
        mkdirSync(path.join(dir, 'extra'), { mode: 0o755 });
        return path.join(dir, 'extra');
      },
      'has mode 0755; directories must be mode 0500',
    ],
    [
      'a loose file in a subdirectory',
      (dir) => {
        mkdirSync(path.join(dir, 'extra'), { mode: 0o700 });
        const deep = file(path.join(dir, 'extra'), 'ca.pem', 0o600);
        chmodSync(path.join(dir, 'extra'), 0o500);
        return deep;
      },
      'has mode 0600; files must be mode 0400',
    ],
  ];

  it.each(contents)('reports %s by its path', async (_name, plant, problem) => {
    const dir = lockedConfigDir(fresh());
    chmodSync(dir, 0o700);
    const planted = plant(dir);
    chmodSync(dir, 0o500);
    const error = await lockdownError(path.join(dir, 'daemon.yaml'));
    expect(error.paths).toEqual([planted]);
    expect(error.message).toContain(`\n  ${planted}: ${problem}`);
  });

  it('reports every violation at once, each by path, and reads nothing', async () => {
    const parent = fresh();
    const dir = lockedConfigDir(parent);
    chmodSync(dir, 0o755);
    mode(path.join(dir, 'daemon.yaml'), 0o644);
    file(dir, 'tls.key', 0o600);
    symlinkSync('/etc/shadow', path.join(dir, 'shadow'));
    const error = await lockdownError(path.join(dir, 'daemon.yaml'));
    expect(error.paths).toEqual([
      dir,
      path.join(dir, 'daemon.yaml'),
      path.join(dir, 'shadow'),
      path.join(dir, 'tls.key'),
    ]);
    expect(error.message).toMatch(
      new RegExp(`^refusing to start: the config directory ${dir} is not locked down`),
    );
    expect(error.message.split('\n')).toHaveLength(5);
  });

  it('refuses a config directory inside a 0777 directory owned by another user (the swap attack)', async () => {
    const attackers = fresh();
    const dir = lockedConfigDir(attackers);
    chownSync(attackers, OTHER_UID, OTHER_UID);
    chmodSync(attackers, 0o777);
    const error = await lockdownError(path.join(dir, 'daemon.yaml'));
    expect(error.paths).toEqual([attackers]);
    expect(error.message).toContain(
      `\n  ${attackers}: is owned by uid ${OTHER_UID}; must be owned by root (uid 0); has mode 0777: writable by group or others (without the sticky bit), who could swap what is in it`,
    );
  });

  it('refuses an ancestor owned by another user, or writable by group, however deep', async () => {
    const top = fresh();
    const middle = path.join(top, 'srv');
    mkdirSync(middle, { mode: 0o755 });
    const lower = path.join(middle, 'config');
    mkdirSync(lower, { mode: 0o755 });
    const dir = lockedConfigDir(lower);
    chownSync(middle, OTHER_UID, OTHER_UID);
    chmodSync(lower, 0o775);
    const error = await lockdownError(path.join(dir, 'daemon.yaml'));
    expect(error.paths).toEqual([middle, lower]);
    expect(error.message).toContain(
      `\n  ${middle}: is owned by uid ${OTHER_UID}; must be owned by root (uid 0)\n`,
    );
    expect(error.message).toContain(`\n  ${lower}: has mode 0775: writable by group or others`);
  });

  it('accepts a root-owned sticky ancestor (like /tmp) and a symlink on the way, checking the real chain', async () => {
    const shared = fresh();
    chmodSync(shared, 0o1777);
    const dir = lockedConfigDir(shared);
    const link = path.join(fresh(), 'via-link');
    symlinkSync(dir, link);
    const locked = await readLockedDownConfig(path.join(link, 'daemon.yaml'));
    expect(locked.file).toBe(path.join(dir, 'daemon.yaml'));
    // The same sticky directory owned by another user is not safe: its owner can rename anything in it.
    chownSync(shared, OTHER_UID, OTHER_UID);
    expect((await lockdownError(path.join(link, 'daemon.yaml'))).paths).toEqual([shared]);
  });

  it('names a missing config file', async () => {
    const dir = lockedConfigDir(fresh());
    const error = await lockdownError(path.join(dir, 'missing.yaml'));
    expect(error.message).toBe(
      `refusing to start: ${path.join(dir, 'missing.yaml')} cannot be opened (ENOENT)`,
    );
  });

  it('reads through the directory fds it checked: a directory swapped afterwards is never read', async () => {
    const parent = fresh();
    const dir = lockedConfigDir(parent);
    const evil = path.join(parent, 'evil');
    mkdirSync(evil);
    writeFileSync(path.join(evil, 'daemon.yaml'), 'subfolder: attacker\n');
    const { value } = await withDirectoryChain(dir, async (handle) => {
      // What renameat2(RENAME_EXCHANGE) does atomically, in two steps: the path now names evil's file.
      renameSync(dir, `${dir}.checked`);
      renameSync(evil, dir);
      expect(readFileSync(path.join(dir, 'daemon.yaml'), 'utf8')).toBe('subfolder: attacker\n');
      return readFileSync(inside(handle, 'daemon.yaml'), 'utf8');
    });
    expect(value).toBe('subfolder: host\n');
  });
});

describe('the files daemon.yaml names', () => {
  function configNaming(files: Partial<Pick<DaemonConfig, 'keysFile' | 'sopsBinary' | 'tls'>>): DaemonConfig {
    return {
      file: '/etc/stow/daemon.yaml',
      keysFile: undefined,
      sopsBinary: undefined,
      tls: undefined,
      ...files,
    } as DaemonConfig;
  }

  it('reads keys and TLS through their checked fds and resolves every path', async () => {
    const dir = fresh();
    const keys = file(dir, 'keys.txt', 0o400, 'AGE-SECRET-KEY-1TEST');
    const cert = file(dir, 'tls.crt', 0o444, 'CERT');
    const key = file(dir, 'tls.key', 0o400, 'KEY');
    const sops = file(dir, 'sops', 0o755, '#!/bin/sh\n');
    const link = path.join(fresh(), 'bin');
    symlinkSync(dir, link);
    const inputs = await readTrustedInputs(
      configNaming({
        keysFile: keys,
        sopsBinary: path.join(link, 'sops'),
        tls: { certFile: cert, keyFile: key },
      }),
    );
    expect(inputs).toEqual({
      tls: { cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
      keys: { path: keys, bytes: Buffer.from('AGE-SECRET-KEY-1TEST') },
      sopsBinary: sops,
      warnings: [],
    });
  });

  it('refuses each unsafe file by path, in one error: owner, group/other-writable, symlink, unsafe directory', async () => {
    const dir = fresh();
    const keys = owned(file(dir, 'keys.txt', 0o400));
    const cert = file(dir, 'tls.crt', 0o664);
    const key = path.join(dir, 'tls.key');
    symlinkSync(file(dir, 'real.key', 0o400), key);
    const users = fresh();
    chownSync(users, OTHER_UID, OTHER_UID);
    const sops = file(users, 'sops', 0o755);
    const error = await refusal(
      readTrustedInputs(
        configNaming({ keysFile: keys, sopsBinary: sops, tls: { certFile: cert, keyFile: key } }),
      ),
    );
    expect(error.message.split('\n')[0]).toBe(
      'refusing to start: tlsCrt, tlsKey, keys, sopsBinary in /etc/stow/daemon.yaml must be regular root-owned files not writable by group or others (no symlinks), in directories only root can write:',
    );
    expect(error.message).toContain(`\n  ${cert}: has mode 0664: writable by group or others; chmod go-w it`);
    expect(error.message).toContain(`\n  ${key}: is a symlink; must be a regular file`);
    expect(error.message).toContain(
      `\n  ${keys}: is owned by uid ${OTHER_UID}; must be owned by root (uid 0)`,
    );
    expect(error.message).toContain(
      `\n  ${users}: is owned by uid ${OTHER_UID}; must be owned by root (uid 0)`,
    );
    expect([...error.paths].sort()).toEqual([cert, key, keys, users].sort());
  });

  it('names a missing keys file, a fifo (without blocking on it) and an oversized file', async () => {
    const dir = fresh();
    const fifo = path.join(dir, 'tls.key');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    const big = file(dir, 'tls.crt', 0o400, 'x'.repeat(1.5 * 1024 * 1024));
    const socketPath = path.join(dir, 'sops.sock');
    const server = net.createServer().listen(socketPath);
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const error = await refusal(
        readTrustedInputs(
          configNaming({
            keysFile: path.join(dir, 'missing.txt'),
            sopsBinary: socketPath,
            tls: { certFile: big, keyFile: fifo },
          }),
        ),
      );
      expect(error.message).toContain(`\n  ${path.join(dir, 'missing.txt')}: cannot be opened (ENOENT)`);
      expect(error.message).toContain(`\n  ${fifo}: is a fifo; must be a regular file`);
      expect(error.message).toContain(`\n  ${big}: is 1.5 MiB, the limit is 1 MiB`);
      expect(error.message).toContain(`cannot be opened (ENXIO)`);
    } finally {
      server.close();
    }
  });

  it('warns about a keys file that group or others can read', async () => {
    const keys = file(fresh(), 'keys.txt', 0o644);
    const { warnings } = await readTrustedInputs(configNaming({ keysFile: keys }));
    expect(warnings).toEqual([
      `keys file ${keys} has mode 0644: group or others can access it; chmod 0400 it`,
    ]);
  });
});

function file(dir: string, name: string, fileMode: number, content = 'x'): string {
  const target = path.join(dir, name);
  writeFileSync(target, content);
  chmodSync(target, fileMode);
  return target;
}

function mode(target: string, fileMode: number): string {
  chmodSync(target, fileMode);
  return target;
}

function owned(target: string): string {
  chownSync(target, OTHER_UID, OTHER_UID);
  return target;
}
