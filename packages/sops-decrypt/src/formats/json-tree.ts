// An order-preserving JSON parser and a Go-style JSON writer: JS objects would reorder
// integer-like keys and JSON.parse would round big integers.

export type JsonNode =
  | { t: 'obj'; entries: Array<[string, JsonNode]> }
  | { t: 'arr'; items: JsonNode[] }
  | { t: 'str'; v: string }
  | { t: 'num'; raw: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' }
  | { t: 'plain'; text: string };

export class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super(`invalid JSON at offset ${offset}`);
  }
}

export function parseJson(text: string): JsonNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw new JsonSyntaxError(i);
  };
  const str = (): string => {
    const end = scanString(text, i);
    if (end < 0) fail();
    const s = JSON.parse(text.slice(i, end)) as string;
    i = end;
    return s;
  };
  const value = (): JsonNode => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: Array<[string, JsonNode]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        entries.push([k, value()]);
        ws();
        const d = text[i++];
        if (d === '}') return { t: 'obj', entries };
        if (d !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return { t: 'arr', items };
        if (d !== ',') fail();
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    for (const [word, node] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return node;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 1000));
    if (!m || m[0] === '') return fail();
    i += m[0].length;
    return { t: 'num', raw: m[0] };
  };
  const root = value();
  ws();
  if (i !== text.length) fail();
  return root;
}

function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if (c !== undefined && c < ' ') return -1;
    else i++;
  }
  return -1;
}

/** Go encoding/json string escaping (HTML-safe, as json.Marshal does). */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** Writes a tree indented with tabs, as sops' JSON store does (json.Indent with "\t"). */
export function writeJson(node: JsonNode, indent = ''): string {
  const inner = `${indent}\t`;
  switch (node.t) {
    case 'obj':
      if (node.entries.length === 0) return '{}';
      return `{\n${node.entries.map(([k, v]) => `${inner}${goJsonString(k)}: ${writeJson(v, inner)}`).join(',\n')}\n${indent}}`;
    case 'arr':
      if (node.items.length === 0) return '[]';
      return `[\n${node.items.map((v) => `${inner}${writeJson(v, inner)}`).join(',\n')}\n${indent}]`;
    case 'str':
      return goJsonString(node.v);
    case 'num':
      return node.raw;
    case 'bool':
      return node.v ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'plain':
      return node.text;
  }
}
