import {
  type Document,
  type ErrorCode,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { RESERVED_NAME } from './docker-limits.js';
import { ManifestError, type ManifestIssue } from './errors.js';
import { formatKeyPath } from './schema-issues.js';
import { checkConfigSize } from './size-limit.js';

/** A parsed YAML document that can say where any key path sits in the source. */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  /** Line and column of the node at `keyPath` (or of its closest existing parent). */
  locate(keyPath: readonly PropertyKey[], at?: 'key' | 'value'): { line: number; column: number } | undefined;
}

/**
 * Parses one YAML document; syntax errors, duplicate keys and bad aliases become a ManifestError.
 * Bounded: the text is refused over the config size limit before it is parsed, duplicate keys are
 * found in one pass, and no message quotes the source (a tag, an alias or an escape sequence can
 * be a token someone pasted): library messages that could are replaced by our own.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  checkConfigSize(file, Buffer.byteLength(text, 'utf8'));
  const lineCounter = new LineCounter();
  // uniqueKeys: false: the library compares each key with every earlier one (quadratic);
  // duplicateKeys() does the same check with one set per map.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => {
    const position = lineCounter.linePos(offset);
    return { file, line: position.line, column: position.col, keyPath: '' };
  };
  const issues: ManifestIssue[] = document.errors.map((error) => ({
    ...at(error.pos[0]),
    message: `YAML syntax error: ${yamlErrorText(error)}`,
  }));
  if (issues.length === 0) {
    for (const { offset, message } of [...duplicateKeys(document), ...unresolvedAliases(document)]) {
      issues.push({ ...at(offset), message });
    }
  }
  if (issues.length > 0) {
    throw new ManifestError(
      'YAML_SYNTAX',
      file,
      issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
    );
  }
  const data = toData(document, at);
  const source: YamlSource = {
    file,
    data,
    locate(keyPath, at = 'value') {
      const range = rangeOf(document.contents, keyPath, at);
      if (range === undefined) return undefined;
      const position = lineCounter.linePos(range);
      return { line: position.line, column: position.col };
    },
  };
  const protoKeys = protoKeyPaths(data);
  if (protoKeys.length > 0) {
    throw new ManifestError(
      'INVALID',
      file,
      protoKeys.map((keyPath) => ({
        file,
        ...source.locate(keyPath, 'key'),
        keyPath: formatKeyPath(keyPath),
        message: `invalid name: ${RESERVED_NAME}`,
      })),
    );
  }
  return source;
}

/**
 * Paths of `__proto__` keys anywhere in the data. zod skips such a key without a word (a
 * `__proto__` container would silently vanish), so it is refused here, before any schema runs;
 * `constructor` and `prototype` are refused by the schemas of the maps whose keys are the user's.
 */
function protoKeyPaths(data: unknown): PropertyKey[][] {
  const found: PropertyKey[][] = [];
  const pending: Array<{ value: unknown; path: PropertyKey[] }> = [{ value: data, path: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        pending.push({ value: item, path: [...path, index] });
      });
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        if (key === '__proto__') found.push([...path, key]);
        else pending.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return found;
}

const MAX_ALIAS_COUNT = 100;

/** The plain data; the only error left here is an alias expansion over the limit (no source quoted). */
function toData(document: Document.Parsed, at: (offset: number) => Omit<ManifestIssue, 'message'>): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let first: number | undefined;
    visit(document, {
      Alias(_key, node) {
        first = node.range?.[0];
        return visit.BREAK;
      },
    });
    const message = `YAML aliases expand too far (the limit is ${MAX_ALIAS_COUNT} uses of an anchor's content)`;
    throw new ManifestError('YAML_SYNTAX', at(0).file, [{ ...at(first ?? 0), message }]);
  }
}

/** Keys that appear twice in one map, each set once per map: linear in the size of the document. */
function duplicateKeys(document: Document.Parsed): Array<{ offset: number; message: string }> {
  const found: Array<{ offset: number; message: string }> = [];
  visit(document, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          const name = String(pair.key.value);
          const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
          found.push({
            offset: pair.key.range?.[0] ?? 0,
            message: `duplicate key ${JSON.stringify(shown)}: a key may appear only once in a map`,
          });
        }
        seen.add(pair.key.value);
      }
    },
  });
  return found;
}

/** Aliases to an anchor not set before them; the alias name is not quoted (it may be a pasted token). */
function unresolvedAliases(document: Document.Parsed): Array<{ offset: number; message: string }> {
  const found: Array<{ offset: number; message: string }> = [];
  const anchors = new Set<string>();
  visit(document, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (!anchors.has(node.source)) {
          found.push({
            offset: node.range?.[0] ?? 0,
            message: 'unresolved alias: a *alias must name an &anchor set before it',
          });
        }
      } else if (node.anchor) {
        anchors.add(node.anchor);
      }
    },
  });
  return found;
}

/**
 * Codes whose library messages are fixed text (yaml 2.9.1: compose/*.js), kept for their detail.
 * Every other code's message can quote the source (a tag, an escape sequence, a directive), so it
 * is replaced by our own text below.
 */
const FIXED_TEXT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ALIAS_PROPS',
  'BAD_ALIAS',
  'BAD_INDENT',
  'BLOCK_AS_IMPLICIT_KEY',
  'BLOCK_IN_FLOW',
  'IMPOSSIBLE',
  'KEY_OVER_1024_CHARS',
  'MISSING_CHAR',
  'MULTILINE_IMPLICIT_KEY',
  'MULTIPLE_ANCHORS',
  'MULTIPLE_DOCS',
  'MULTIPLE_TAGS',
  'NON_STRING_KEY',
  'TAB_AS_INDENT',
]);

const OWN_TEXT: Partial<Record<ErrorCode, string>> = {
  BAD_DIRECTIVE: 'a bad %directive',
  BAD_DQ_ESCAPE: 'an invalid escape sequence in a double-quoted string',
  BAD_PROP_ORDER: 'anchors and tags must come after the ? or : indicator',
  BAD_SCALAR_START: 'a plain value cannot start with this character (quote the value)',
  DUPLICATE_KEY: 'a key may appear only once in a map',
  RESOURCE_EXHAUSTION: 'the document expands too far',
  TAG_RESOLVE_FAILED: 'an unknown tag',
  UNEXPECTED_TOKEN: 'unexpected text here (check the indentation, quoting and brackets)',
  BAD_COLLECTION_TYPE: 'the tag does not fit this kind of collection',
};

function yamlErrorText(error: YAMLError): string {
  if (FIXED_TEXT_CODES.has(error.code)) return error.message.split('\n')[0] ?? error.message;
  return OWN_TEXT[error.code] ?? 'not valid YAML';
}

/** Each map's pairs by key text, built once per map: locating many issues stays linear. */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (isPair(item) && isScalar(item.key) && !index.has(String(item.key.value))) {
        index.set(String(item.key.value), item);
      }
    }
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

function rangeOf(root: unknown, keyPath: readonly PropertyKey[], at: 'key' | 'value'): number | undefined {
  let node = root as Node | null | undefined;
  let best = node?.range?.[0];
  for (const [index, segment] of keyPath.entries()) {
    const last = index === keyPath.length - 1;
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (!pair) return best;
      const keyNode = pair.key as Node;
      if (last && at === 'key') return keyNode.range?.[0] ?? best;
      node = pair.value as Node | null;
      best = node?.range?.[0] ?? keyNode.range?.[0] ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
      best = node?.range?.[0] ?? best;
    } else {
      return best;
    }
  }
  return best;
}
