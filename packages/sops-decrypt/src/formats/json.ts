import { SopsDecryptError } from '../errors.js';
import { formatGoTime, parseGoInt } from '../go-format.js';
import type { PlainValue } from '../plain-value.js';
import type { TreeDecryptor } from '../tree-decryptor.js';
import type { ParsedSopsDocument } from './document.js';
import { type JsonNode, JsonSyntaxError, parseJson, writeJson } from './json-tree.js';

/** Plain JS view of a JSON node (used for the metadata only). */
export function toPlain(node: JsonNode): unknown {
  switch (node.t) {
    case 'obj':
      return Object.fromEntries(node.entries.map(([k, v]) => [k, toPlain(v)]));
    case 'arr':
      return node.items.map(toPlain);
    case 'str':
      return node.v;
    case 'num':
      return Number(node.raw);
    case 'bool':
      return node.v;
    case 'null':
      return null;
    case 'plain':
      return node.text;
  }
}

/** sops before 3.13.2 decoded every JSON number as float64; later versions keep integers. */
function numbersAreFloats(version: string): boolean {
  const [maj = 0, min = 0, patch = 0] = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return maj < 3 || (maj === 3 && (min < 13 || (min === 13 && patch < 2)));
}

function leafOf(node: JsonNode, floats: boolean): PlainValue | undefined {
  switch (node.t) {
    case 'str':
      return { type: 'str', value: node.v };
    case 'bool':
      return { type: 'bool', value: node.v };
    case 'num': {
      const asInt = /^-?\d+$/.test(node.raw) ? parseGoInt(node.raw) : undefined;
      if (asInt !== undefined && !floats) return { type: 'int', value: asInt };
      return { type: 'float', value: Number(node.raw) };
    }
    default:
      return undefined;
  }
}

/** Go json.Marshal rendering of a decrypted value. */
export function jsonOf(v: PlainValue, file: string, keyPath: string): JsonNode {
  switch (v.type) {
    case 'str':
      return { t: 'str', v: v.value };
    case 'int':
      return { t: 'plain', text: v.value.toString() };
    case 'float':
      if (!Number.isFinite(v.value)) {
        throw new SopsDecryptError(
          'BAD_FORMAT',
          `${file}: value at ${keyPath} is not representable in JSON`,
          {
            file,
            keyPath,
          },
        );
      }
      return { t: 'plain', text: Object.is(v.value, -0) ? '-0' : String(v.value) };
    case 'bool':
      return { t: 'bool', v: v.value };
    case 'bytes':
      return { t: 'str', v: v.value.toString('base64') };
    case 'time':
      return { t: 'str', v: formatGoTime(v.value, true) ?? v.value };
  }
}

function walk(node: JsonNode, path: string[], td: TreeDecryptor, floats: boolean, file: string): JsonNode {
  if (node.t === 'obj') {
    return { t: 'obj', entries: node.entries.map(([k, v]) => [k, walk(v, [...path, k], td, floats, file)]) };
  }
  if (node.t === 'arr') return { t: 'arr', items: node.items.map((v) => walk(v, path, td, floats, file)) };
  const leaf = leafOf(node, floats);
  if (leaf === undefined) return node;
  return jsonOf(td.leaf(path, leaf), file, path.join(':'));
}

/** Parses a JSON file into its data entries and its `sops` metadata. */
export function parseJsonDocument(
  text: string,
  file: string,
): { entries: Array<[string, JsonNode]>; metadata: unknown } {
  let root: JsonNode;
  try {
    root = parseJson(text);
  } catch (err) {
    const at = err instanceof JsonSyntaxError ? ` at offset ${err.offset}` : '';
    throw new SopsDecryptError('BAD_FORMAT', `${file}: invalid JSON${at}`, { file });
  }
  if (root.t !== 'obj') {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: a sops JSON document must be an object`, { file });
  }
  const sops = root.entries.find(([k]) => k === 'sops');
  return {
    entries: root.entries.filter(([k]) => k !== 'sops'),
    metadata: sops ? toPlain(sops[1]) : undefined,
  };
}

export function parseJsonStore(text: string, file: string): ParsedSopsDocument {
  const { entries, metadata } = parseJsonDocument(text, file);
  const version =
    typeof (metadata as { version?: unknown })?.version === 'string'
      ? (metadata as { version: string }).version
      : '';
  return {
    metadata,
    render(td) {
      const out = walk({ t: 'obj', entries }, [], td, numbersAreFloats(version), file);
      return Buffer.from(`${writeJson(out)}\n`, 'utf8');
    },
  };
}
