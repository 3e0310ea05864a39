import { ContentHashError } from '@stow/content-hasher';
import { ManifestError } from '@stow/manifest';
import { describe, expect, it } from 'vitest';
import { isInputError } from './input-errors.js';

describe('isInputError', () => {
  it('recognises the packages’ own error classes', () => {
    expect(isInputError(new ContentHashError('RESERVED_NAME', 'x'))).toBe(true);
    expect(isInputError(new ManifestError('INVALID', 'f', []))).toBe(true);
  });
  it('does not take other errors for bad input', () => {
    expect(isInputError(new Error('boom'))).toBe(false);
    expect(isInputError(Object.assign(new TypeError('x'), { code: 'ERR' }))).toBe(false);
  });
});
