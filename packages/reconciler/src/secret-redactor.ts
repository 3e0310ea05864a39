import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseEnvFile } from '@stow/docker-planner';
import { parse } from 'yaml';

/** Replaces every decrypted secret value in a text with `[REDACTED]`. */
export type Redactor = (text: string) => string;

/** Values shorter than this are not redacted: "1", "yes" or "on" would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[REDACTED]';

/**
 * A redactor for the decrypted secret files of a deployment (`secretFiles`, relative to `dir`, the
 * snapshot or staging folder holding them in plain text): the values of a dotenv file; the leaves
 * of a YAML/JSON file and every line of any file that is not dotenv. Longest first, so that a value containing
 * another is replaced whole.
 */
export async function secretRedactor(dir: string, secretFiles: readonly string[]): Promise<Redactor> {
  const values = new Set<string>();
  for (const file of secretFiles) {
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    for (const value of secretValuesOf(text, file)) {
      if (value.length >= MIN_SECRET_LENGTH) values.add(value);
    }
  }
  return redactorOf([...values]);
}

export function redactorOf(values: readonly string[]): Redactor {
  const sorted = [...values].sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((redacted, value) => redacted.split(value).join(REDACTED), text);
}

function secretValuesOf(text: string, file: string): string[] {
  try {
    return Object.values(parseEnvFile(text, file));
  } catch {
    // Not dotenv: a structured file's leaves, and each line (a key file, a certificate).
  }
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  try {
    return [...leavesOf(parse(text)), ...lines];
  } catch {
    return lines;
  }
}

function leavesOf(value: unknown): string[] {
  if (typeof value === 'string') return [value, ...value.split(/\r?\n/).map((line) => line.trim())];
  if (typeof value === 'number') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(leavesOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leavesOf);
  return [];
}
