import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractSubfolderArchive } from './extract.js';
import { tempDir } from './test-support/fixtures.js';

type Entry = {
  name: string;
  type?: string;
  content?: string | Buffer;
  size?: number;
  linkname?: string;
  mode?: number;
};

/** A tar.gz built with tar-stream + zlib, as a stream. */
function tarball(entries: Iterable<Entry>, gzip = true): Readable {
  const pack = tarPack();
  (async () => {
    for (const e of entries) {
      await new Promise<void>((resolve, reject) => {
        const header = {
          name: e.name,
          type: (e.type ?? 'file') as 'file',
          mode: e.mode ?? 0o644,
          linkname: e.linkname,
        };
        if (e.content !== undefined) pack.entry(header, e.content, (err) => (err ? reject(err) : resolve()));
        else {
          pack.entry({ ...header, size: e.size ?? 0 }, Buffer.alloc(0), (err) =>
            err ? reject(err) : resolve(),
          );
        }
      }).catch(() => undefined);
      if (pack.destroyed) return;
    }
    pack.finalize();
  })();
  const node = Readable.from(pack as unknown as AsyncIterable<Buffer>);
  return gzip ? node.pipe(createGzip({ level: 1 })) : node;
}

const TOP = 'deployments-abc-abc-host';
const file = (path: string, content: string, mode?: number): Entry => ({
  name: `${TOP}/host/${path}`,
  content,
  ...(mode === undefined ? {} : { mode }),
});

describe('extractSubfolderArchive', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let staging: string;
  beforeEach(async () => {
    tmp = await tempDir('stow-extract-');
    staging = join(tmp.dir, 'staging');
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  const expectRejected = async (stream: Readable, code: string, message: RegExp, opts = {}) => {
    const err = await extractSubfolderArchive(stream, {
      stagingDir: staging,
      subfolder: 'host',
      ...opts,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GitlabClientError', code });
    expect((err as Error).message).toMatch(message);
    await expect(stat(staging)).rejects.toMatchObject({ code: 'ENOENT' });
    // Nothing next to the staging directory either.
    expect(await readdir(tmp.dir)).toEqual([]);
  };

  it('extracts the subfolder contents to the top of staging, keeping only 0644/0755 modes', async () => {
    const result = await extractSubfolderArchive(
      tarball([
        { name: `${TOP}/`, type: 'directory' },
        { name: `${TOP}/host/`, type: 'directory' },
        file('stow.yaml', 'a: 1\n', 0o666),
        file('bin/run.sh', '#!/bin/sh\n', 0o4777),
        { name: `${TOP}/elsewhere/x`, content: 'not mine' },
      ]),
      { stagingDir: staging, subfolder: 'host' },
    );
    expect(result).toEqual({ files: 2, directories: 0, bytes: 15 });
    expect((await readdir(staging)).sort()).toEqual(['bin', 'stow.yaml']);
    expect(await readFile(join(staging, 'stow.yaml'), 'utf8')).toBe('a: 1\n');
    expect((await stat(join(staging, 'stow.yaml'))).mode & 0o7777).toBe(0o644);
    expect((await stat(join(staging, 'bin/run.sh'))).mode & 0o7777).toBe(0o755);
  });

  it('rejects path traversal', async () => {
    await expectRejected(
      tarball([file('../../../evil', 'x')]),
      'ARCHIVE_UNSAFE',
      /"[^"]*\.\.\/evil" rejected: path traversal/,
    );
  });

  it('rejects absolute paths', async () => {
    await expectRejected(
      tarball([{ name: '/etc/cron.d/evil', content: 'x' }]),
      'ARCHIVE_UNSAFE',
      /"\/etc\/cron.d\/evil".*absolute/,
    );
  });

  it('rejects symlinks', async () => {
    await expectRejected(
      tarball([
        file('stow.yaml', 'a'),
        { name: `${TOP}/host/link`, type: 'symlink', linkname: '/etc/passwd' },
      ]),
      'ARCHIVE_UNSAFE',
      /host\/link" rejected: symbolic link \(-> \/etc\/passwd\)/,
    );
  });

  it('rejects hard links', async () => {
    await expectRejected(
      tarball([
        file('stow.yaml', 'a'),
        { name: `${TOP}/host/hard`, type: 'link', linkname: `${TOP}/host/stow.yaml` },
      ]),
      'ARCHIVE_UNSAFE',
      /host\/hard" rejected: hard link/,
    );
  });

  it('rejects devices and fifos', async () => {
    for (const type of ['character-device', 'block-device', 'fifo']) {
      await expectRejected(
        tarball([{ name: `${TOP}/host/dev`, type }]),
        'ARCHIVE_UNSAFE',
        new RegExp(`${type} entries`),
      );
    }
  });

  it('rejects a file then a directory of the same name', async () => {
    await expectRejected(
      tarball([file('stow.yaml', 'a'), file('config', 'x'), file('config/app.env', 'A=1')]),
      'ARCHIVE_UNSAFE',
      /host\/config\/app\.env" rejected: "config" is both a file and a directory in the archive$/,
    );
  });

  it('rejects a directory then a file of the same name', async () => {
    await expectRejected(
      tarball([
        file('stow.yaml', 'a'),
        { name: `${TOP}/host/config/`, type: 'directory' },
        file('config', 'x'),
      ]),
      'ARCHIVE_UNSAFE',
      /host\/config" rejected: "config" is both a file and a directory in the archive$/,
    );
    await expectRejected(
      tarball([file('config/app.env', 'A=1'), file('config', 'x')]),
      'ARCHIVE_UNSAFE',
      /host\/config" rejected: "config" is both a file and a directory in the archive$/,
    );
  });

  it('rejects a name component over 255 bytes and a path over 4096 bytes', async () => {
    await expectRejected(
      tarball([file('stow.yaml', 'a'), file(`${'é'.repeat(128)}`, 'x')]),
      'ARCHIVE_UNSAFE',
      /rejected: a name longer than 255 bytes$/,
    );
    const deep = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
    await expectRejected(
      tarball([file('stow.yaml', 'a'), file(`${deep}/f`, 'x')]),
      'ARCHIVE_UNSAFE',
      /^archive entry "[^"]{200}…" rejected: path longer than 4096 bytes$/,
    );
  });

  it('rejects more entries than the file cap (100k tiny files)', async () => {
    function* many() {
      for (let i = 0; i < 100_000; i += 1) yield file(`f/${i}`, 'x');
    }
    await expectRejected(tarball(many()), 'ARCHIVE_TOO_LARGE', /more than 20000 entries/);
  }, 120_000);

  it('rejects a gzip bomb past the byte cap', async () => {
    // 64 MiB of zeros compresses to ~64 KiB; the cap is 8 MiB.
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    await expectRejected(
      tarball([file('bomb', zeros as unknown as string)]),
      'ARCHIVE_TOO_LARGE',
      /exceeds 8388608 bytes at ".*bomb"/,
      {
        maxBytes: 8 * 1024 * 1024,
      },
    );
  }, 60_000);

  it('rejects trailing junk that expands past the cap even when headers are small', async () => {
    const tar = await streamToBuffer(tarball([file('stow.yaml', 'a')], false));
    const bomb = gzipSync(Buffer.concat([tar, Buffer.alloc(32 * 1024 * 1024)]));
    await expectRejected(Readable.from([bomb]), 'ARCHIVE_TOO_LARGE', /expands past/, {
      maxBytes: 1024 * 1024,
      maxFiles: 10,
    });
  });

  it('rejects a truncated gzip', async () => {
    const gz = await streamToBuffer(tarball([file('stow.yaml', 'a: 1\n'), file('big', 'y'.repeat(100_000))]));
    await expectRejected(
      Readable.from([gz.subarray(0, Math.floor(gz.length / 2))]),
      'ARCHIVE_CORRUPT',
      /truncated or corrupt/,
    );
  });

  it('rejects data that is not gzip', async () => {
    await expectRejected(
      Readable.from([Buffer.from('<html>login</html>')]),
      'ARCHIVE_CORRUPT',
      /truncated or corrupt/,
    );
  });

  it('fails when the subfolder is absent from the archive', async () => {
    await expectRejected(
      tarball([{ name: `${TOP}/other/stow.yaml`, content: 'x' }]),
      'NOT_FOUND',
      /no files under "host"/,
    );
  });

  it('refuses a non-empty staging directory without touching it', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(staging);
    await writeFile(join(staging, 'keep'), 'x');
    await expect(
      extractSubfolderArchive(tarball([file('stow.yaml', 'a')]), { stagingDir: staging, subfolder: 'host' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await readdir(staging)).toEqual(['keep']);
  });
});

async function streamToBuffer(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
