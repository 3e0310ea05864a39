import { describe, expect, it } from 'vitest';
import { mergeEnvFiles, parseEnvFile } from './env-file.js';
import { DockerPlannerError } from './errors.js';

/** The text `${A}`, which a shell would interpolate. */
const BRACED = ['$', '{A}'].join('');

describe('parseEnvFile', () => {
  it.each([
    ['plain', 'A=1\nB=two', { A: '1', B: 'two' }],
    ['comments and blank lines', '# comment\n\n  # indented comment\nA=1\n\n', { A: '1' }],
    ['export prefix', 'export A=1\nexport\tB=2', { A: '1', B: '2' }],
    ['unquoted values trimmed', 'A=  spaced value  \nB =x', { A: 'spaced value', B: 'x' }],
    ['empty value', 'A=\nB=""', { A: '', B: '' }],
    [
      'unquoted inline comment after whitespace',
      'A=value # note\nB=pa#ss\nC= # empty',
      { A: 'value', B: 'pa#ss', C: '' },
    ],
    ['single quotes are literal', 'A=\'x\\ny $HOME "q"\'', { A: 'x\\ny $HOME "q"' }],
    [
      'double quotes with escapes',
      'A="line1\\nline2 \\"q\\" back\\\\slash \\t tab"',
      { A: 'line1\nline2 "q" back\\slash \t tab' },
    ],
    ['unknown escape kept', 'A="a\\zb"', { A: 'a\\zb' }],
    ['quoted value keeps spaces and #', 'A=" x # y "  # comment', { A: ' x # y ' }],
    ['no interpolation', `A=1\nB=${BRACED}\nC="$A"`, { A: '1', B: BRACED, C: '$A' }],
    ['CRLF', 'A=1\r\nB="2"\r\n', { A: '1', B: '2' }],
    ['equals sign in value', 'URL=postgres://u:p@h/db?x=1', { URL: 'postgres://u:p@h/db?x=1' }],
    ['later key wins', 'A=1\nA=2', { A: '2' }],
    ['dotted and dashed names', 'a.b-c=1\n_X=2', { 'a.b-c': '1', _X: '2' }],
  ])('%s', (_name, text, expected) => {
    expect(parseEnvFile(text, 'config/app.env')).toStrictEqual(expected);
  });

  it.each([
    ['no equals sign', 'A=1\nJUSTAWORD', 2, /config\/app\.env:2: expected KEY=VALUE/],
    ['bad name', '1A=x', 1, /not a variable name/],
    ['space in name', 'MY VAR=x', 1, /not a variable name/],
    ['unterminated double quote', 'A="abc', 1, /no closing "/],
    ['unterminated single quote', "\n\nA='abc\ndef'", 3, /no closing '/],
    ['text after closing quote', 'A="abc" def', 1, /unexpected text after the quoted value of A/],
  ])('rejects %s with file and line', (_name, text, line, message) => {
    let caught: unknown;
    try {
      parseEnvFile(text, 'config/app.env');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DockerPlannerError);
    const error = caught as DockerPlannerError;
    expect(error.code).toBe('ENV_FILE_INVALID');
    expect(error.file).toBe('config/app.env');
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['a YAML secret', 'apiToken: s3cr3t-planted\nother: x\n'],
    ['a YAML secret whose value holds "="', 'dsn: postgres://u:s3cr3t-planted@h/db?x=1\n'],
    ['a bare token', 's3cr3t-planted value\n'],
  ])('refuses %s as "file:line: not a variable name", quoting nothing of it', (_name, text) => {
    expect(() => parseEnvFile(text, 'secrets/api.yaml')).toThrow(
      new DockerPlannerError('ENV_FILE_INVALID', 'secrets/api.yaml:1: not a variable name', {
        file: 'secrets/api.yaml',
        line: 1,
      }),
    );
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the reserved name %s', (name) => {
    expect(() => parseEnvFile(`A=1\n${name}=x`, 'a.env')).toThrow(`a.env:2: ${name} is a reserved name`);
  });

  it('never puts a value into an error message', () => {
    expect(() => parseEnvFile('PASSWORD="hunter2-secret', 's.env')).toThrow(/^(?!.*hunter2).*$/);
    expect(() => parseEnvFile('PASSWORD="hunter2-secret" x', 's.env')).toThrow(/^(?!.*hunter2).*$/);
  });
});

describe('mergeEnvFiles', () => {
  it('lets a later file win', () => {
    expect(
      mergeEnvFiles([
        { file: 'a.env', text: 'A=1\nB=1' },
        { file: 'b.env', text: 'B=2\nC=2' },
      ]),
    ).toStrictEqual({ A: '1', B: '2', C: '2' });
  });
});
