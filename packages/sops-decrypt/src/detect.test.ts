import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSopsContent } from './decrypt-file.js';
import { mayBeSopsContent, mayBeSopsHead } from './detect.js';
import { SOPS_FIXTURES } from './test-support/fixtures.js';

/** Every file of the committed fixtures (SOPS documents, their plaintexts, keys, expectations). */
function fixtureFiles(dir = SOPS_FIXTURES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? fixtureFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('the cheap SOPS pre-check is a necessary condition of detection', () => {
  const files = fixtureFiles();

  it('lets every real SOPS document through, and rules out the plain fixtures', () => {
    const verdicts = files.map((file) => {
      const content = readFileSync(file);
      return { file, full: isSopsContent(file, content), cheap: mayBeSopsContent(file, content) };
    });
    // The 21 documents of every format that fixtures.test.ts decrypts.
    expect(verdicts.filter((v) => v.full).length).toBe(21);
    // Plaintexts, keys and expectations (JSON, some naming sops) are ruled out without a parser.
    expect(verdicts.filter((v) => v.cheap !== v.full)).toEqual([]);
    expect(mayBeSopsContent('x.yaml', Buffer.from('a: 1\nsops: 2\n'))).toBe(false);
    expect(mayBeSopsContent('key.pem', randomBytes(4096))).toBe(false);
  });

  it('reads a document behind a UTF-8 byte order mark as the full detection does', () => {
    const yaml = files.find((file) => file.endsWith('humphd-sops-age/secret.enc.yaml')) ?? '';
    const withBom = Buffer.concat([BOM, readFileSync(yaml)]);
    expect(isSopsContent(yaml, withBom)).toBe(true);
    expect(mayBeSopsContent(yaml, withBom)).toBe(true);
  });

  it('never rules out what the full detection accepts, for any contents and name', () => {
    const documents = files.filter((file) => isSopsContent(file, readFileSync(file)));
    const names = ['s.yaml', 's.yml', 's.json', 's.env', 's.ini', 's.pem', 'noext'];
    const contents = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom(...documents).map((file) => readFileSync(file)),
      fc
        .tuple(fc.constantFrom(...documents), fc.boolean(), fc.string())
        .map(([file, bom, tail]) =>
          Buffer.concat([bom ? BOM : Buffer.alloc(0), readFileSync(file), Buffer.from(tail)]),
        ),
    );
    fc.assert(
      fc.property(fc.constantFrom(...names), contents, (name, content) => {
        if (isSopsContent(name, content)) expect(mayBeSopsContent(name, content)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('mayBeSopsHead: the start of a file too large for one read', () => {
  it('keeps any start of a SOPS document, a multi-byte character cut at the end included', () => {
    const text = Buffer.from('data: "grüße ✓"\nsops:\n  mac: x\n');
    for (let cut = 0; cut <= text.length; cut++) {
      expect(mayBeSopsHead(text.subarray(0, cut)), `cut at ${cut}`).toBe(true);
    }
  });

  it('rules out a start that is not UTF-8', () => {
    expect(mayBeSopsHead(Buffer.from([0x61, 0xff, 0x62]))).toBe(false);
    expect(mayBeSopsHead(Buffer.from([0xc3, 0x28]))).toBe(false); // a lead byte without continuation
    expect(mayBeSopsHead(randomBytes(1024 * 1024))).toBe(false);
  });
});
