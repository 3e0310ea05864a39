import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDaemonConfig } from './daemon-config.js';
import { formatIssue, ManifestError } from './errors.js';
import { parseStowManifest, readStowManifest } from './stow-manifest.js';
import { validateConfigFile } from './validate-file.js';

// Parsers with bounds: size, duplicate-key detection and aliases stay cheap on hostile input, and
// their errors never quote a value.
const dir = mkdtempSync(path.join(tmpdir(), 'stow-manifest-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1024 * 1024;
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const HEAD = `deployment:\n  name: web\ncontainers:\n  web:\n    image: r.example.com/web:1@${DIGEST}\n`;
const DAEMON = 'gitRepository: /srv/repo\nsubfolder: host-a\n';

/** The formatted issues of a ManifestError thrown by `run`. */
async function refusal(run: () => unknown): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected a ManifestError');
}

/** `text` padded with a comment to `bytes` bytes. */
const padded = (text: string, bytes: number) => `${text}#${'x'.repeat(bytes - text.length - 2)}\n`;

describe('config files over 1 MiB are refused before parsing', () => {
  const big = Math.round(1.4 * MIB);

  it('stow.yaml text, file and validate', async () => {
    const text = padded(HEAD, big);
    expect(await refusal(() => parseStowManifest(text, 'stow.yaml'))).toEqual([
      'stow.yaml: 1.4 MiB, the limit is 1 MiB',
    ]);
    const file = path.join(dir, 'stow.yaml');
    writeFileSync(file, text);
    expect(await refusal(() => readStowManifest(file))).toEqual([`${file}: 1.4 MiB, the limit is 1 MiB`]);
    expect((await validateConfigFile(file, { name: 'stow.yaml' })).issues.map(formatIssue)).toEqual([
      'stow.yaml: 1.4 MiB, the limit is 1 MiB',
    ]);
  });

  it('daemon.yaml', async () => {
    const file = path.join(dir, 'daemon.yaml');
    writeFileSync(file, padded(DAEMON, big));
    expect(await refusal(() => readDaemonConfig(file))).toEqual([`${file}: 1.4 MiB, the limit is 1 MiB`]);
  });

  it('a file just over the limit never reads as 1.0 MiB; one at the limit is parsed', async () => {
    expect(await refusal(() => parseStowManifest(padded(HEAD, MIB + 1), 'stow.yaml'))).toEqual([
      'stow.yaml: 1.1 MiB, the limit is 1 MiB',
    ]);
    expect(parseStowManifest(padded(HEAD, MIB), 'stow.yaml').deployment.name).toBe('web');
  });
});

describe('duplicate keys are found in one pass', () => {
  // 100,000 keys (a quadratic check takes minutes); the generous timeout is for a loaded machine.
  const keys = Array.from({ length: 100_000 }, (_, i) => `k${i.toString(36)}`);
  const networks = `networks:\n${keys.map((key) => `  ${key}:\n`).join('')}`;

  it('100,000 distinct keys parse', { timeout: 60_000 }, () => {
    const manifest = parseStowManifest(`${HEAD}${networks}`, 'stow.yaml');
    expect(Object.keys(manifest.networks)).toHaveLength(100_000);
  });

  it('a duplicate after 100,000 keys is named with its line', { timeout: 60_000 }, async () => {
    const line = HEAD.split('\n').length + keys.length + 1;
    expect(await refusal(() => parseStowManifest(`${HEAD}${networks}  k0:\n`, 'stow.yaml'))).toEqual([
      `stow.yaml:${line}:3: duplicate key "k0": a key may appear only once in a map`,
    ]);
  });
});

describe('YAML errors never quote the source', () => {
  const TOKEN = 'glpat-Secr3tT0kenValue';

  it.each([
    ['an unresolved alias', `gitlabToken: *${TOKEN}\n`, 'unresolved alias'],
    ['an unknown tag', `gitlabToken: !${TOKEN} x\nsubfolder: [\n`, 'YAML syntax error'],
    ['a bad escape', `gitlabToken: "\\q${TOKEN}"\n`, 'YAML syntax error: an invalid escape sequence'],
    ['an alias as a key', `a: &${TOKEN} x\n*${TOKEN}x: y\n`, 'YAML syntax error'],
  ])('%s is file:line:col, without the value', async (_name, line, message) => {
    const issues = await refusal(() =>
      parseStowManifest(`gitlabBase: https://g.example.com\n${line}`, 'daemon.yaml'),
    );
    expect(issues.join('\n')).not.toContain('Secr3t');
    expect(issues[0]).toMatch(/^daemon\.yaml:\d+:\d+: /);
    expect(issues.join('\n')).toContain(message);
  });

  it('aliases that expand too far are file:line:col, without the value', async () => {
    const laughs = [`a: &a ["${TOKEN}", "${TOKEN}"]`];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      laughs.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const issues = await refusal(() => parseStowManifest(`${laughs.join('\n')}\n`, 'stow.yaml'));
    expect(issues).toEqual([
      "stow.yaml:2:8: YAML aliases expand too far (the limit is 100 uses of an anchor's content)",
    ]);
  });
});
