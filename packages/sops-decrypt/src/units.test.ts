import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptValue } from './aes-value.js';
import { loadAgeIdentities } from './age-keys.js';
import { formatFloatF, formatGoTime, parseGoInt } from './go-format.js';
import { decryptSopsBytes } from './native.js';
import { combineShares, splitSecret } from './shamir.js';
import { SOPS_FIXTURES } from './test-support/fixtures.js';

describe('Go formatting used by the MAC', () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [0.0000001, '0.0000001'],
    [1234568000, '1234568000'],
    [25.4, '25.4'],
    [-0, '-0'],
    [1.5e-10, '0.00000000015'],
    [Number.POSITIVE_INFINITY, '+Inf'],
  ])('FormatFloat(%s, f, -1) = %s', (x, s) => expect(formatFloatF(x)).toBe(s));

  it('Atoi range and timestamps', () => {
    expect(parseGoInt('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseGoInt('9223372036854775808')).toBeUndefined();
    expect(formatGoTime('2020-10-07T15:49:13.120Z', false)).toBe('2020-10-07T15:49:13Z');
    expect(formatGoTime('2020-10-07T15:49:13.120+00:00', true)).toBe('2020-10-07T15:49:13.12Z');
  });
});

describe('AES value vector from sops aes/cipher_test.go', () => {
  const v =
    'ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]';
  const key = Buffer.alloc(32, 'f');
  it('decrypts with AAD bar: and fails with another AAD', () => {
    expect(decryptValue(v, key, 'bar:')).toEqual({ type: 'str', value: 'foo' });
    expect(() => decryptValue(v, key, '')).toThrow();
  });
});

describe('Shamir (GF(256), vault layout)', () => {
  it('any threshold subset recombines; fewer parts do not', () => {
    const secret = randomBytes(32);
    const parts = splitSecret(secret, 5, 3, (n) => randomBytes(n));
    expect(parts.every((p) => p.length === 33)).toBe(true);
    expect(combineShares([parts[0], parts[2], parts[4]] as Buffer[]).equals(secret)).toBe(true);
    expect(combineShares([parts[3], parts[1], parts[0]] as Buffer[]).equals(secret)).toBe(true);
    expect(combineShares([parts[0], parts[1]] as Buffer[]).equals(secret)).toBe(false);
    expect(() => combineShares([parts[0], parts[0]] as Buffer[])).toThrow(/duplicate/);
  });
});

describe('byte-exact output of the line formats', () => {
  const g = join(SOPS_FIXTURES, 'getsops-derived');
  const run = async (f: string) =>
    (
      await decryptSopsBytes(
        join(g, f),
        await readFile(join(g, f)),
        await loadAgeIdentities(join(g, 'keys.txt')),
      )
    ).toString();

  it('dotenv keeps key and value bytes around "="', async () => {
    expect(await run('format.enc.env')).toBe('foo = bar\n');
  });

  it('INI is written as go-ini does (aligned "=", blank line after sections, section comment)', async () => {
    expect(await run('format-2.enc.ini')).toBe('[foo]\nbar = baz\n\n');
    expect(await run('example.ini')).toBe(
      [
        '; An example file for use with sops!',
        '[name]',
        'firstName = John',
        'lastName  = Smith',
        'age       = 25.4',
        '',
        '[address]',
        'city          = New York',
        'postalCode    = 10021-3100',
        'state         = NY',
        'streetAddress = 21 2nd Street',
        '',
        '[phoneNumbers]',
        'home   = 212 555-1234',
        'office = 646 555-4567',
        '',
        '[not private]',
        'notsecret_unencrypted = hi there!',
        '',
        '',
      ].join('\n'),
    );
  });
});
