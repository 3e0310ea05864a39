import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonError } from './errors.js';
import {
  assertLockdown,
  checkLockdown,
  keysFileWarning,
  type LockdownFs,
  type LockdownStat,
  nodeLockdownFs,
} from './lockdown.js';

type Kind = 'dir' | 'file' | 'symlink' | 'fifo' | 'socket';
interface FakeEntry {
  kind: Kind;
  uid?: number;
  mode: number;
}

/** An in-memory tree: absolute path -> entry. */
function fakeFs(entries: Record<string, FakeEntry>): LockdownFs {
  const stat = (entry: FakeEntry): LockdownStat => ({
    uid: entry.uid ?? 0,
    mode: entry.mode,
    isFile: () => entry.kind === 'file',
    isDirectory: () => entry.kind === 'dir',
    isSymbolicLink: () => entry.kind === 'symlink',
    isFIFO: () => entry.kind === 'fifo',
    isSocket: () => entry.kind === 'socket',
    isBlockDevice: () => false,
    isCharacterDevice: () => false,
  });
  return {
    async lstat(file) {
      const entry = entries[file];
      if (!entry) throw Object.assign(new Error(`ENOENT ${file}`), { code: 'ENOENT' });
      return stat(entry);
    },
    async readdir(dir) {
      return Object.keys(entries)
        .filter((file) => path.dirname(file) === dir && file !== dir)
        .map((file) => path.basename(file));
    },
  };
}

const good: Record<string, FakeEntry> = {
  '/etc/stow': { kind: 'dir', mode: 0o500 },
  '/etc/stow/daemon.yaml': { kind: 'file', mode: 0o400 },
  '/etc/stow/tls.crt': { kind: 'file', mode: 0o400 },
  '/etc/stow/tls.key': { kind: 'file', mode: 0o400 },
  '/etc/stow/extra': { kind: 'dir', mode: 0o500 },
  '/etc/stow/extra/ca.pem': { kind: 'file', mode: 0o400 },
};

describe('config lockdown', () => {
  it('accepts a root-owned tree of 0500 directories and 0400 files', async () => {
    expect(await checkLockdown('/etc/stow/daemon.yaml', fakeFs(good))).toEqual([]);
    await expect(assertLockdown('/etc/stow/daemon.yaml', fakeFs(good))).resolves.toBeUndefined();
  });

  const violations: [string, string, FakeEntry, string][] = [
    [
      'wrong owner (directory)',
      '/etc/stow',
      { kind: 'dir', mode: 0o500, uid: 1000 },
      'is owned by uid 1000; must be owned by root (uid 0)',
    ],
    [
      '0700 directory',
      '/etc/stow/extra',
      { kind: 'dir', mode: 0o700 },
      'has mode 0700; directories must be mode 0500',
    ],
    [
      '0440 file',
      '/etc/stow/tls.crt',
      { kind: 'file', mode: 0o440 },
      'has mode 0440; files must be mode 0400',
    ],
    [
      '0644 file',
      '/etc/stow/daemon.yaml',
      { kind: 'file', mode: 0o644 },
      'has mode 0644; files must be mode 0400',
    ],
    [
      'symlink',
      '/etc/stow/link.yaml',
      { kind: 'symlink', mode: 0o777 },
      'is a symlink; only regular files and directories may be here',
    ],
    [
      'fifo',
      '/etc/stow/pipe',
      { kind: 'fifo', mode: 0o400 },
      'is a fifo; only regular files and directories may be here',
    ],
    [
      'subdirectory with wrong mode',
      '/etc/stow/extra/deeper',
      { kind: 'dir', mode: 0o755 },
      'has mode 0755; directories must be mode 0500',
    ],
    [
      'socket',
      '/etc/stow/extra/control.sock',
      { kind: 'socket', mode: 0o400 },
      'is a socket; only regular files and directories may be here',
    ],
    [
      'file owned by uid 1000',
      '/etc/stow/extra/ca.pem',
      { kind: 'file', mode: 0o400, uid: 1000 },
      'is owned by uid 1000; must be owned by root (uid 0)',
    ],
    [
      'group-writable directory',
      '/etc/stow/extra',
      { kind: 'dir', mode: 0o570 },
      'has mode 0570; directories must be mode 0500',
    ],
  ];

  it.each(violations)('reports %s by its path', async (_name, file, entry, problem) => {
    const tree = { ...good, [file]: entry };
    expect(await checkLockdown('/etc/stow/daemon.yaml', fakeFs(tree))).toEqual([
      { path: file, problems: [problem] },
    ]);
  });

  it('reports all ten violations at once, each by path, in one error', async () => {
    // Ten distinct paths, one violation each.
    const tree: Record<string, FakeEntry> = {
      '/etc/stow': { kind: 'dir', mode: 0o500, uid: 1000 },
      '/etc/stow/daemon.yaml': { kind: 'file', mode: 0o644 },
      '/etc/stow/tls.crt': { kind: 'file', mode: 0o440 },
      '/etc/stow/tls.key': { kind: 'file', mode: 0o400, uid: 1000 },
      '/etc/stow/link.yaml': { kind: 'symlink', mode: 0o777 },
      '/etc/stow/pipe': { kind: 'fifo', mode: 0o400 },
      '/etc/stow/control.sock': { kind: 'socket', mode: 0o400 },
      '/etc/stow/private': { kind: 'dir', mode: 0o700 },
      '/etc/stow/private/shared': { kind: 'dir', mode: 0o570 },
      '/etc/stow/private/shared/deeper': { kind: 'dir', mode: 0o755 },
    };
    const error = await assertLockdown('/etc/stow/daemon.yaml', fakeFs(tree)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonError);
    const daemonError = error as DaemonError;
    expect(daemonError.code).toBe('LOCKDOWN');
    expect([...daemonError.paths].sort()).toEqual(Object.keys(tree).sort());
    for (const file of Object.keys(tree)) expect(daemonError.message).toContain(`  ${file}: `);
    expect(daemonError.message.split('\n')).toHaveLength(11);
    expect(daemonError.message).toMatch(
      /^refusing to start: the config directory \/etc\/stow is not locked down/,
    );
  });

  it('does not follow a symlinked directory', async () => {
    const tree = { ...good, '/etc/stow/elsewhere': { kind: 'symlink' as const, mode: 0o777 } };
    const result = await checkLockdown('/etc/stow/daemon.yaml', fakeFs(tree));
    expect(result.map((v) => v.path)).toEqual(['/etc/stow/elsewhere']);
  });

  it('warns when the keys file is readable by group or others', async () => {
    const keys = { kind: 'file' as const, mode: 0o644 };
    const fs = fakeFs({ '/root/keys.txt': keys, '/root/private.txt': { kind: 'file', mode: 0o600 } });
    expect(await keysFileWarning('/root/keys.txt', fs)).toBe(
      'keys file /root/keys.txt has mode 0644: group or others can access it; chmod 0400 it',
    );
    expect(await keysFileWarning('/root/private.txt', fs)).toBeUndefined();
    expect(await keysFileWarning(undefined, fs)).toBeUndefined();
  });
});

describe('config lockdown on the real filesystem', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'stow-lockdown-'));
  afterAll(() => {
    execFileSync('chmod', ['-R', 'u+rwx', root]);
    rmSync(root, { recursive: true, force: true });
  });

  it('finds a symlink, a fifo and loose modes; accepts the fixed tree when run as root', async () => {
    const dir = path.join(root, 'stow');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'daemon.yaml'), 'x');
    symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    chmodSync(path.join(dir, 'daemon.yaml'), 0o644);
    chmodSync(dir, 0o755);
    const found = await checkLockdown(path.join(dir, 'daemon.yaml'), nodeLockdownFs);
    const byPath = Object.fromEntries(found.map((v) => [path.basename(v.path), v.problems.join('; ')]));
    expect(byPath.stow).toContain('has mode 0755; directories must be mode 0500');
    expect(byPath['daemon.yaml']).toContain('has mode 0644; files must be mode 0400');
    expect(byPath.passwd).toContain('is a symlink');
    expect(byPath.fifo).toContain('is a fifo');

    rmSync(path.join(dir, 'passwd'));
    rmSync(path.join(dir, 'fifo'));
    chmodSync(path.join(dir, 'daemon.yaml'), 0o400);
    chmodSync(dir, 0o500);
    const after = await checkLockdown(path.join(dir, 'daemon.yaml'), nodeLockdownFs);
    const uid = process.getuid?.() ?? -1;
    if (uid === 0) expect(after).toEqual([]);
    else
      expect(after.every((v) => v.problems.every((p) => p.startsWith(`is owned by uid ${uid}`)))).toBe(true);
  });
});
