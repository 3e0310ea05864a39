import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { secretRedactor } from './secret-redactor.js';

const dir = mkdtempSync(path.join(tmpdir(), 'stow-redact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secretRedactor', () => {
  it('redacts dotenv values, YAML leaves and raw lines of the decrypted files, never short values', async () => {
    writeFileSync(path.join(dir, 'app.env'), 'DB_PASSWORD=pa55word\nDEBUG=on\nTOKEN="tok-en-1234"\n');
    writeFileSync(path.join(dir, 'db.yaml'), 'db:\n  password: yaml-secret\n  port: 5432\n');
    writeFileSync(path.join(dir, 'key.pem'), '-----BEGIN KEY-----\nMIIBkeymaterial\n-----END KEY-----\n');
    const redact = await secretRedactor(dir, ['app.env', 'db.yaml', 'key.pem']);
    expect(redact('auth pa55word/tok-en-1234 yaml-secret on port 5432 key MIIBkeymaterial; debug on')).toBe(
      'auth [REDACTED]/[REDACTED] [REDACTED] on port [REDACTED] key [REDACTED]; debug on',
    );
  });

  it('replaces a value containing another one whole', async () => {
    writeFileSync(path.join(dir, 'nested.env'), 'A=secret\nB=secret-and-more\n');
    const redact = await secretRedactor(dir, ['nested.env']);
    expect(redact('x secret-and-more y secret')).toBe('x [REDACTED] y [REDACTED]');
  });
});
