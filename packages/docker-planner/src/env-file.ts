import { DockerPlannerError } from './errors.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** Object keys that would reach an object's prototype machinery rather than hold a variable. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses a dotenv file (rules in the README): `KEY=VALUE` lines, `#` comments, blank lines, an optional
 * `export ` prefix, 'single-quoted' literal values, "double-quoted" values with \n \r \t \" \\ escapes,
 * unquoted values trimmed (an unquoted ` #` starts a comment), no interpolation. Later keys win.
 * Errors name the file and line and quote nothing from the line: an env file is often a decrypted
 * secret, and a file that is not dotenv at all (a YAML secret) must not leak through its error.
 */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fail = (problem: string): never => {
      throw new DockerPlannerError('ENV_FILE_INVALID', `${file}:${index + 1}: ${problem}`, {
        file,
        line: index + 1,
      });
    };
    const body = /^export\s+/.test(trimmed) ? trimmed.replace(/^export\s+/, '') : trimmed;
    const equals = body.indexOf('=');
    const key = (equals === -1 ? body : body.slice(0, equals)).trim();
    if (!KEY.test(key)) fail('not a variable name');
    if (equals === -1) fail('expected KEY=VALUE');
    if (RESERVED_NAMES.has(key)) fail(`${key} is a reserved name`);
    result[key] = parseValue(body.slice(equals + 1).trimStart(), key, fail);
  }
  return result;
}

function parseValue(text: string, key: string, fail: (problem: string) => never): string {
  const quote = text[0];
  if (quote !== "'" && quote !== '"') {
    const comment = /(?:^|\s)#/.exec(text);
    return (comment ? text.slice(0, comment.index) : text).trim();
  }
  let value = '';
  let end = -1;
  for (let i = 1; i < text.length; i++) {
    const char = text[i] as string;
    if (char === quote) {
      end = i;
      break;
    }
    if (quote === '"' && char === '\\' && i + 1 < text.length) {
      const next = text[i + 1] as string;
      value += ESCAPES[next] ?? `\\${next}`;
      i++;
      continue;
    }
    value += char;
  }
  if (end === -1)
    fail(`value of ${key} has no closing ${quote} (values are one line; write \\n for a newline)`);
  const rest = text.slice(end + 1).trim();
  if (rest !== '' && !rest.startsWith('#')) fail(`unexpected text after the quoted value of ${key}`);
  return value;
}

/** Merges parsed env files in order: a later file wins over an earlier one. */
export function mergeEnvFiles(
  files: ReadonlyArray<{ readonly file: string; readonly text: string }>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const { file, text } of files) Object.assign(merged, parseEnvFile(text, file));
  return merged;
}
