import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadAgeIdentities } from './age-keys.js';
import { decryptSopsBytes } from './native.js';
import type { PlainValue } from './plain-value.js';
import { SOPS_FIXTURES } from './test-support/fixtures.js';

interface ExpectedLeaf {
  path: string[];
  value: unknown;
  type: string;
  encrypted: boolean;
}
interface Expected {
  leaves_in_mac_order: ExpectedLeaf[];
  encrypted_comments_in_file_order?: Array<{ aad: string; text: string }>;
}

const CASES: Array<{ dir: string; file: string; keys: string; expected: string }> = [
  ...[
    'example.yaml',
    'example.json',
    'example.txt',
    'example.ini',
    'format.enc.env',
    'format.enc.ini',
    'format-2.enc.ini',
    'format.enc.yaml',
    'format.enc.json',
    'comments.enc.yaml',
  ].map((file) => ({ dir: 'getsops-derived', file, keys: 'keys.txt', expected: `expected/${file}.json` })),
  ...[
    'algorithms/age.yaml',
    'algorithms/age-pq.yaml',
    'patches/merge1.yaml',
    'patches/merge2.yaml',
    'envs/env.env',
    'component/env.env',
    'remote/env.env',
    'files/file.txt',
  ].map((file) => ({
    dir: 'fluxcd-kustomize-controller',
    file,
    keys: file.includes('age-pq') ? 'keys/age-pq.txt' : 'keys/age.txt',
    expected: `expected/${file.replace('/', '_')}.json`,
  })),
  ...['secret.enc.json', 'secret.enc.yaml', 'secret.enc.env'].map((file) => ({
    dir: 'humphd-sops-age',
    file,
    keys: 'key.txt',
    expected: `expected/${file}.json`,
  })),
];

const asJson = (v: PlainValue): unknown =>
  v.type === 'int' ? Number(v.value) : v.type === 'bytes' ? v.value.toString('utf8') : v.value;

describe('real sops + age fixtures', () => {
  for (const c of CASES) {
    it(`decrypts ${c.dir}/${c.file} to its expected leaves with the MAC verified`, async () => {
      const dir = join(SOPS_FIXTURES, c.dir);
      const expected = JSON.parse(await readFile(join(dir, c.expected), 'utf8')) as Expected;
      const ids = await loadAgeIdentities(join(dir, c.keys));
      const leaves: ExpectedLeaf[] = [];
      const comments: Array<{ aad: string; text: string }> = [];
      const out = await decryptSopsBytes(join(dir, c.file), await readFile(join(dir, c.file)), ids, {
        leaf: (path, value, encrypted) =>
          leaves.push({ path: [...path], value: asJson(value), type: value.type, encrypted }),
        comment: (aad, text) => comments.push({ aad, text }),
      });
      expect(leaves).toEqual(
        expected.leaves_in_mac_order.map(({ path, value, type, encrypted }) => ({
          path,
          value,
          type,
          encrypted,
        })),
      );
      expect(comments).toEqual(expected.encrypted_comments_in_file_order ?? []);
      expect(out.length).toBeGreaterThan(0);
      expect(out.toString('utf8')).not.toContain('ENC[');
    });
  }

  it('reproduces the plaintext originals (comments.yaml, secret.json)', async () => {
    const g = join(SOPS_FIXTURES, 'getsops-derived');
    const comments = await decryptSopsBytes(
      join(g, 'comments.enc.yaml'),
      await readFile(join(g, 'comments.enc.yaml')),
      await loadAgeIdentities(join(g, 'keys.txt')),
    );
    // sops (yaml.v3) ends every document with a newline; the original has none.
    expect(comments.toString('utf8')).toBe(
      `${(await readFile(join(g, 'comments.yaml'), 'utf8')).trimEnd()}\n`,
    );
    const h = join(SOPS_FIXTURES, 'humphd-sops-age');
    const secret = await decryptSopsBytes(
      join(h, 'secret.enc.json'),
      await readFile(join(h, 'secret.enc.json')),
      await loadAgeIdentities(join(h, 'key.txt')),
    );
    expect(JSON.parse(secret.toString('utf8'))).toEqual(
      JSON.parse(await readFile(join(h, 'secret.json'), 'utf8')),
    );
    const yamlOut = await decryptSopsBytes(
      join(h, 'secret.enc.yaml'),
      await readFile(join(h, 'secret.enc.yaml')),
      await loadAgeIdentities(join(h, 'key.txt')),
    );
    const { '0word': _, ...withoutWord } = JSON.parse(await readFile(join(h, 'secret.json'), 'utf8'));
    expect(parseYaml(yamlOut.toString('utf8'))).toEqual(withoutWord);
  });
});
