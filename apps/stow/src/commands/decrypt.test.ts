import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SOPS_FIXTURES } from '@stow/sops-decrypt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';

const humphd = path.join(SOPS_FIXTURES, 'humphd-sops-age');
const workspace = scratch();
afterAll(() => workspace.cleanup());

describe('stow decrypt', () => {
  it('prints a dotenv file exactly as sops --decrypt does', async () => {
    const result = await runCli([
      'decrypt',
      '--keys',
      path.join(humphd, 'key.txt'),
      path.join(humphd, 'secret.enc.env'),
    ]);
    expect(result).toEqual({ code: 0, stdout: 'secret=this is a secret\nanother_secret=7\n', stderr: '' });
  });

  it('prints a JSON file with the same data as its plaintext original', async () => {
    const result = await runCli([
      'decrypt',
      '--keys',
      path.join(humphd, 'key.txt'),
      path.join(humphd, 'secret.enc.json'),
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      JSON.parse(readFileSync(path.join(humphd, 'secret.json'), 'utf8')),
    );
  });

  it('fails with exit 2 and no plaintext for a wrong key', async () => {
    const wrongKeys = path.join(SOPS_FIXTURES, 'getsops-derived/keys.txt');
    const result = await runCli(['decrypt', '--keys', wrongKeys, path.join(humphd, 'secret.enc.env')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/secret\.enc\.env: no identity in .*keys\.txt matches/);
    expect(result.stderr).not.toContain('this is a secret');
  });

  it('fails with exit 2 for a tampered value, naming the file and without plaintext', async () => {
    const tampered = await workspace.write(
      'tampered.env',
      readFileSync(path.join(humphd, 'secret.enc.env'), 'utf8').replace(
        /ENC\[AES256_GCM,data:(.)/,
        (_m, c) => `ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`,
      ),
    );
    const result = await runCli(['decrypt', '--keys', path.join(humphd, 'key.txt'), tampered]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tampered.env');
    expect(result.stderr).not.toContain('this is a secret');
  });

  it('requires --keys', async () => {
    const result = await runCli(['decrypt', path.join(humphd, 'secret.enc.env')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing --keys FILE/);
  });
});

describe('stow hash with secrets', () => {
  async function deploymentWithSecret() {
    const dir = `d-${Math.random().toString(36).slice(2)}`;
    await workspace.write(`${dir}/stow.yaml`, 'deployment: { name: x }\ncontainers: {}\n');
    await workspace.write(`${dir}/secrets/.keep`, '');
    copyFileSync(path.join(humphd, 'secret.enc.env'), path.join(workspace.dir, dir, 'secrets/app.env'));
    return dir;
  }

  it('hashes decrypted contents with --keys and leaves the folder untouched', async () => {
    const dir = await deploymentWithSecret();
    const before = readFileSync(path.join(workspace.dir, dir, 'secrets/app.env'));
    const result = await runCli(
      ['hash', '--json', '--keys', path.join(humphd, 'key.txt'), dir],
      workspace.dir,
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.secret_files).toEqual(['secrets/app.env']);
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256')
      .update('secrets/app.env\0secret=this is a secret\nanother_secret=7\n')
      .digest('hex');
    expect(json.secrets_hash).toBe(expected);
    expect(readFileSync(path.join(workspace.dir, dir, 'secrets/app.env'))).toEqual(before);
  });

  it('refuses to hash ciphertext as if it were config: a SOPS file needs --keys', async () => {
    const dir = await deploymentWithSecret();
    const result = await runCli(['hash', dir], workspace.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/secrets\/app\.env: SOPS-encrypted, but no age keys file is configured/);
  });
});
