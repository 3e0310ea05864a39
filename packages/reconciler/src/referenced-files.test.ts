import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseStowManifest } from '@stow/manifest';
import { newKey, sopsEncrypt, writeKeyFile } from '@stow/sops-decrypt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareRevision } from './pipeline.js';
import { jsonLinesLog } from './reconcile-log.js';
import { checkReferencedFiles } from './referenced-files.js';
import { StepFailure } from './step-failure.js';
import { fakeSource, manifestFiles } from './test-support/fakes.js';

/** A decrypted value that must never appear in an error, a log line or a file outside the snapshot. */
const PLANTED = 'planted-secret-8c1f5e';
const SHA = 'c'.repeat(40);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const scratch = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-referenced-'));
  dirs.push(dir);
  return dir;
};

function withEnvFiles(envFiles: string[], extra: Record<string, string>) {
  const files = manifestFiles('web', ['app'], extra);
  return { ...files, 'stow.yaml': `${files['stow.yaml']}    envFiles: [${envFiles.join(', ')}]\n` };
}

async function folder(files: Record<string, string>): Promise<string> {
  const dir = scratch();
  for (const [relative, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await fs.writeFile(path.join(dir, relative), text);
  }
  return dir;
}

describe('checkReferencedFiles', () => {
  it('accepts env files that parse', async () => {
    const files = withEnvFiles(['a.env', 'config/b.env'], { 'a.env': 'A=1\n', 'config/b.env': '# none\n' });
    const dir = await folder(files);
    await expect(checkReferencedFiles(dir, parseStowManifest(files['stow.yaml'], 'stow.yaml'))).resolves.toBe(
      undefined,
    );
  });

  it('names every env file that is not dotenv, with its line, quoting nothing', async () => {
    const files = withEnvFiles(['a.env', 'secrets/api.yaml'], {
      'a.env': 'A=1\nB="unterminated\n',
      'secrets/api.yaml': `apiToken: ${PLANTED}\n`,
    });
    const dir = await folder(files);
    const check = checkReferencedFiles(dir, parseStowManifest(files['stow.yaml'], 'stow.yaml'));
    await expect(check).rejects.toMatchObject({
      name: 'ManifestError',
      message:
        'a.env:2: value of B has no closing " (values are one line; write \\n for a newline)\n' +
        'secrets/api.yaml:1: not a variable name',
    });
  });
});

describe('checkReferencedFiles for jobs', () => {
  it("names a job's env file that is not dotenv", async () => {
    const files = manifestFiles('web', ['app'], { 'job.env': 'not dotenv\n' });
    files['stow.yaml'] +=
      `jobs:\n  migrate:\n    image: registry.example.com/m:1@sha256:${'a'.repeat(64)}\n    envFiles: [job.env]\n`;
    const dir = await folder(files);
    await expect(
      checkReferencedFiles(dir, parseStowManifest(files['stow.yaml'], 'stow.yaml')),
    ).rejects.toMatchObject({ name: 'ManifestError', message: 'job.env:1: not a variable name' });
  });
});

describe('prepareRevision', () => {
  it('fails the manifest step, terminal, when a SOPS env file decrypts to YAML', async () => {
    const key = await newKey();
    const keysFile = await writeKeyFile(scratch(), [key]);
    const secret = await sopsEncrypt({
      format: 'yaml',
      plaintext: `apiToken: ${PLANTED}\n`,
      recipients: [key.recipient],
    });
    const files = withEnvFiles(['secrets/api.yaml'], { 'secrets/api.yaml': secret });
    const lines: string[] = [];
    const context = {
      source: fakeSource(new Map([[SHA, files]]), () => SHA),
      secrets: { keysFile, sopsBinary: undefined },
      log: jsonLinesLog((line) => lines.push(line)),
    };

    const failure = await prepareRevision(context, SHA, path.join(scratch(), 'staging')).catch((e) => e);
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure).toMatchObject({
      step: 'manifest',
      terminal: true,
      message: 'secrets/api.yaml:1: not a variable name',
    });
    expect(lines.join('\n')).not.toContain(PLANTED);
  });
});
