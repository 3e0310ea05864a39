import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseAllDocuments,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { SopsDecryptError } from '../errors.js';
import type { PlainValue } from '../plain-value.js';
import { aadOf, type TreeDecryptor } from '../tree-decryptor.js';
import type { ParsedSopsDocument } from './document.js';
import { resolvePlainScalar } from './yaml-scalar.js';

type Doc = Document.Parsed;
const PARSE_OPTIONS = {
  intAsBigInt: true,
  merge: false,
  uniqueKeys: false,
  keepSourceTokens: false,
} as const;

/** The Go-typed value of a scalar as sops' YAML store loads it (null for YAML nulls). */
function scalarValue(node: Scalar, file: string, keyPath: string): PlainValue | null {
  if (node.type !== 'PLAIN' || (node.tag && node.tag !== '?')) {
    if (node.value === null) return null;
    if (typeof node.value === 'string') return { type: 'str', value: node.value };
  }
  const text = typeof node.source === 'string' ? node.source : String(node.value ?? '');
  const r = resolvePlainScalar(text);
  if (r === 'unsupported') {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: value at ${keyPath} is an integer out of range`, {
      file,
      keyPath,
    });
  }
  if (r?.type === 'str' && typeof node.value === 'string') return { type: 'str', value: node.value };
  return r;
}

/** Writes a plain value back into a scalar node, quoting strings a YAML 1.1 reader would retype. */
function setScalar(node: Scalar, v: PlainValue): void {
  node.tag = undefined;
  node.type = undefined;
  switch (v.type) {
    case 'str': {
      node.value = v.value;
      const r = v.value.includes('\n') ? undefined : resolvePlainScalar(v.value);
      if (r !== undefined && (r === null || r === 'unsupported' || r.type !== 'str'))
        node.type = 'QUOTE_DOUBLE';
      return;
    }
    case 'int':
      node.value = v.value;
      return;
    case 'float':
      node.value = v.value;
      // Keep integral floats recognisable as floats (1234568000 -> 1234568000.0).
      if (Number.isInteger(v.value) && !String(v.value).includes('e')) node.minFractionDigits = 1;
      return;
    case 'bool':
      node.value = v.value;
      return;
    case 'bytes':
      node.value = v.value.toString('utf8');
      return;
    case 'time':
      node.value = v.value;
      return;
  }
}

function collectPaths(node: unknown, path: string[], out: string[][]): void {
  if (isMap(node)) {
    out.push(path);
    for (const pair of node.items) collectPaths(pair.value, [...path, keyOf(pair)], out);
  } else if (isSeq(node)) {
    out.push(path);
    for (const item of node.items) collectPaths(item, path, out);
  }
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  if (isScalar(k)) return typeof k.source === 'string' && k.type === 'PLAIN' ? k.source : String(k.value);
  return String(k);
}

class YamlWalker {
  private allAads: string[] = [];

  constructor(
    private readonly td: TreeDecryptor,
    private readonly file: string,
  ) {}

  document(doc: Doc): void {
    const paths: string[][] = [];
    collectPaths(doc.contents, [], paths);
    this.allAads = [...new Set([aadOf([]), ...paths.map(aadOf)])];
    const root = doc.contents;
    if (root !== null && !isMap(root)) {
      throw new SopsDecryptError('BAD_FORMAT', `${this.file}: YAML documents must be mappings`, {
        file: this.file,
      });
    }
    doc.commentBefore = this.comments(doc.commentBefore, [], undefined) ?? null;
    if (root) this.map(root, []);
    doc.comment = this.comments(doc.comment, [], undefined) ?? null;
  }

  private comments(
    text: string | null | undefined,
    container: string[],
    own: string[] | undefined,
  ): string | undefined {
    if (text === null || text === undefined) return undefined;
    const candidates = [aadOf(container), ...(own ? [aadOf(own)] : []), ...this.allAads];
    return text
      .split('\n')
      .map((line) => this.td.comment(line, candidates))
      .join('\n');
  }

  private nodeComments(node: Node, container: string[], own: string[] | undefined): void {
    node.commentBefore = this.comments(node.commentBefore, container, own);
    node.comment = this.comments(node.comment, container, own);
  }

  private map(map: YAMLMap, path: string[]): void {
    this.nodeComments(map, path.slice(0, -1), path);
    for (const pair of map.items) {
      const key = keyOf(pair);
      if (isScalar(pair.key)) this.nodeComments(pair.key, path, undefined);
      this.value(pair.value, [...path, key], path);
    }
  }

  private seq(seq: YAMLSeq, path: string[]): void {
    this.nodeComments(seq, path, path);
    for (const item of seq.items) this.value(item, path, path);
  }

  private value(node: unknown, path: string[], container: string[]): void {
    if (isMap(node)) this.map(node, path);
    else if (isSeq(node)) this.seq(node, path);
    else if (isScalar(node)) {
      this.nodeComments(node, container, undefined);
      const v = scalarValue(node, this.file, path.join(':'));
      if (v !== null) setScalar(node, this.td.leaf(path, v));
    } else if (isAlias(node)) {
      throw new SopsDecryptError(
        'BAD_FORMAT',
        `${this.file}: YAML aliases are not supported (at ${path.join(':')})`,
        {
          file: this.file,
          keyPath: path.join(':'),
        },
      );
    }
  }
}

/** Removes the top-level `sops` key of a document; its comments move to the document's end. */
function stripSops(doc: Doc): unknown {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const idx = root.items.findIndex((p) => keyOf(p) === 'sops');
  if (idx < 0) return undefined;
  const [pair] = root.items.splice(idx, 1);
  const before = pair && isScalar(pair.key) ? pair.key.commentBefore : undefined;
  if (before) doc.comment = doc.comment ? `${before}\n${doc.comment}` : before;
  return pair?.value && typeof (pair.value as Node).toJSON === 'function'
    ? (pair.value as Node).toJSON()
    : undefined;
}

export function parseYamlStore(text: string, file: string): ParsedSopsDocument {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  if (!Array.isArray(docs)) {
    throw new SopsDecryptError('BAD_FORMAT', `${file}: invalid YAML`, { file });
  }
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new SopsDecryptError(
        'BAD_FORMAT',
        `${file}${line ? `:${line}` : ''}: invalid YAML (${err.code})`,
        {
          file,
          line,
        },
      );
    }
  }
  const metas = docs.map(stripSops);
  return {
    metadata: metas[0],
    render(td) {
      const walker = new YamlWalker(td, file);
      const parts = docs.map((doc) => {
        walker.document(doc);
        if (doc.directives) doc.directives.docStart = null;
        if (doc.contents === null) return '{}\n';
        return doc.toString({ indent: 4, lineWidth: 0, minContentWidth: 0 });
      });
      return Buffer.from(parts.join('---\n'), 'utf8');
    },
  };
}
