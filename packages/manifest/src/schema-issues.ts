import type { z } from 'zod';
import type { ManifestIssue } from './errors.js';
import type { YamlSource } from './yaml-source.js';

type Segment = PropertyKey;

/** Turns zod issues into located, operator-readable issues (one per problem, sorted by line). */
export function toManifestIssues(error: z.ZodError, source: YamlSource, schema: z.ZodType): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const add = (keyPath: readonly Segment[], message: string, at: 'key' | 'value' = 'value') => {
    const position = source.locate(keyPath, at);
    issues.push({ file: source.file, ...position, keyPath: formatKeyPath(keyPath), message });
  };
  for (const issue of error.issues) {
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const known = objectKeysAt(schema, issue.path);
          const hint = closest(key, known);
          const suffix = hint
            ? ` (did you mean ${hint}?)`
            : known.length
              ? ` (allowed: ${known.join(', ')})`
              : '';
          add([...issue.path, key], `unknown key${suffix}`, 'key');
        }
        break;
      case 'invalid_key':
        add(issue.path, `invalid name: ${issue.issues[0]?.message ?? issue.message}`, 'key');
        break;
      case 'invalid_type': {
        const value = valueAt(source.data, issue.path);
        // A schema's own message ("must be a list of strings, e.g. ...") beats the generic one.
        const expected = issue.message.startsWith('Invalid input')
          ? `must be ${describeExpected(issue.expected)}`
          : issue.message;
        add(issue.path, value === undefined ? 'is required' : `${expected}, got ${describeValue(value)}`);
        break;
      }
      case 'too_small':
        add(
          issue.path,
          issue.origin === 'string' && issue.minimum === 1 ? 'must not be empty' : issue.message,
        );
        break;
      default:
        add(issue.path, issue.message);
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** `containers.webapp.ports[1]`, with keys that need it quoted: `labels["com.example.team"]`. */
export function formatKeyPath(keyPath: readonly Segment[]): string {
  let text = '';
  for (const segment of keyPath) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(segment)))
      text += text ? `.${String(segment)}` : String(segment);
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function valueAt(data: unknown, keyPath: readonly Segment[]): unknown {
  let value = data;
  for (const segment of keyPath) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function describeExpected(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    record: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, unknown>;
      innerType?: unknown;
      in?: unknown;
      valueType?: unknown;
      element?: unknown;
    };
  };
}

/** The keys an object schema allows at `keyPath`, for "did you mean" hints. */
function objectKeysAt(schema: z.ZodType, keyPath: readonly Segment[]): string[] {
  let current = unwrap(schema as unknown as ZodInternals);
  for (const segment of keyPath) {
    const def = current?._zod.def;
    if (!def) return [];
    if (def.type === 'object') current = unwrap(def.shape?.[String(segment)] as ZodInternals | undefined);
    else if (def.type === 'record') current = unwrap(def.valueType as ZodInternals);
    else if (def.type === 'array') current = unwrap(def.element as ZodInternals);
    else return [];
  }
  const def = current?._zod.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: ZodInternals | undefined): ZodInternals | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 10; depth++) {
    const def = current._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner as ZodInternals;
  }
  return current;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
