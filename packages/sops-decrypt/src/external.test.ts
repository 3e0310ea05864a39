import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from './decrypt-file.js';
import { SopsDecryptError } from './errors.js';
import { tempDir } from './test-support/keys.js';

let dir: string;
const keysFile = '/etc/stow/keys.txt';

/** Writes an executable node script standing in for the sops binary. */
async function standIn(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!${process.execPath}\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await tempDir();
});

describe('external sops backend', () => {
  it('runs <sopsBinary> --decrypt <file> with SOPS_AGE_KEY_FILE and returns stdout', async () => {
    const bin = await standIn(
      'sops-ok',
      `const a = process.argv.slice(2);
if (a.length !== 2 || a[0] !== '--decrypt' || a[1] !== process.env.EXPECT_FILE) process.exit(3);
if (process.env.SOPS_AGE_KEY_FILE !== ${JSON.stringify(keysFile)}) process.exit(4);
if (process.env.LEAKY_PARENT_VAR !== undefined) process.exit(5);
process.stdout.write('PLAIN=' + a[1].length + '\\n');`,
    );
    const file = join(dir, 'secret.env');
    process.env.LEAKY_PARENT_VAR = 'should-not-reach-sops';
    try {
      const out = await decryptFile(file, { sopsBinary: bin, keysFile, env: { EXPECT_FILE: file } });
      expect(out.toString()).toBe(`PLAIN=${file.length}\n`);
    } finally {
      delete process.env.LEAKY_PARENT_VAR;
    }
  });

  it('a non-zero exit names the file and the status, never stdout or stderr', async () => {
    const bin = await standIn(
      'sops-fail',
      `process.stdout.write('LEAKED-PLAINTEXT'); process.stderr.write('LEAKED-STDERR'); process.exit(7);`,
    );
    const file = join(dir, 'x.yaml');
    const err = (await decryptFile(file, { sopsBinary: bin, keysFile }).catch(
      (e: unknown) => e,
    )) as SopsDecryptError;
    expect(err).toBeInstanceOf(SopsDecryptError);
    expect(err).toMatchObject({ code: 'EXTERNAL_FAILED', exitCode: 7, file });
    expect(err.message).toContain(file);
    expect(err.message).toContain('7');
    for (const s of [err.message, err.stack ?? '', JSON.stringify(err)]) {
      expect(s).not.toContain('LEAKED-PLAINTEXT');
      expect(s).not.toContain('LEAKED-STDERR');
    }
  });

  it('a hanging sops is killed after timeoutMs', async () => {
    const bin = await standIn('sops-hang', 'setInterval(() => {}, 1000);');
    const started = Date.now();
    await expect(
      decryptFile(join(dir, 'h.yaml'), { sopsBinary: bin, keysFile, timeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: 'EXTERNAL_TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('output beyond maxOutputBytes is cut off with an error', async () => {
    const bin = await standIn(
      'sops-flood',
      `const chunk = Buffer.alloc(65536, 'x'); (function w() { while (process.stdout.write(chunk)); process.stdout.once('drain', w); })();`,
    );
    await expect(
      decryptFile(join(dir, 'f.yaml'), { sopsBinary: bin, keysFile, maxOutputBytes: 256 * 1024 }),
    ).rejects.toMatchObject({ code: 'EXTERNAL_OUTPUT_LIMIT' });
  });

  it('a missing binary is an EXTERNAL_FAILED error', async () => {
    await expect(
      decryptFile(join(dir, 'm.yaml'), { sopsBinary: join(dir, 'does-not-exist'), keysFile }),
    ).rejects.toMatchObject({ code: 'EXTERNAL_FAILED' });
  });
});
