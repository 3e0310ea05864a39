import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SOPS_FIXTURES } from '@stow/sops-decrypt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { STOW_VERSION } from './version.js';

const binary = new URL('../dist/stow', import.meta.url).pathname;
const example = new URL('../../../examples/deploy-host.example.com', import.meta.url).pathname;
// An empty directory, no node_modules in reach, and no `node` on PATH: the file must stand alone.
const empty = mkdtempSync(path.join(tmpdir(), 'stow-binary-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

async function stow(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, args, {
      cwd: empty,
      env: { PATH: '/nonexistent', HOME: empty },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the single-file stow executable', () => {
  it('prints its version with nothing around it', async () => {
    expect(await stow('--version')).toEqual({ code: 0, stdout: `stow ${STOW_VERSION}\n`, stderr: '' });
  });

  it('validates and hashes like the workspace build', async () => {
    expect(await stow('validate', path.join(example, 'stow.yaml'))).toMatchObject({ code: 0, stderr: '' });
    const hashed = await stow('hash', '--json', example);
    expect(hashed.code).toBe(0);
    expect(Object.keys(JSON.parse(hashed.stdout))).toEqual([
      'manifest_hash',
      'config_hash',
      'secrets_hash',
      'deployment_hash',
      'secret_files',
    ]);
  });

  it('loads each command on demand inside the one file: the overview and every --help', async () => {
    const overview = await stow('--help');
    expect(overview.code).toBe(0);
    const names = [...overview.stdout.matchAll(/^ {2}([a-z-]+) {2}/gm)].map((m) => m[1] ?? '');
    expect(names).toContain('hash');
    for (const name of names) {
      expect(await stow(name, '--help')).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(`^Usage: stow ${name}`),
      });
    }
  });

  it('decrypts natively: age is bundled and loaded when a secret is opened', async () => {
    const humphd = path.join(SOPS_FIXTURES, 'humphd-sops-age');
    expect(
      await stow('decrypt', '--keys', path.join(humphd, 'key.txt'), path.join(humphd, 'secret.enc.env')),
    ).toEqual({ code: 0, stdout: 'secret=this is a secret\nanother_secret=7\n', stderr: '' });
  });

  it('exits 2 on bad input', async () => {
    expect((await stow('validate', 'missing.yaml')).code).toBe(2);
  });
});
