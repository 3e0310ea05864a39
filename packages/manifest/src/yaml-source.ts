import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ManifestError, type ManifestIssue } from './errors.js';

/** A parsed YAML document that can say where any key path sits in the source. */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  /** Line and column of the node at `keyPath` (or of its closest existing parent). */
  locate(keyPath: readonly PropertyKey[], at?: 'key' | 'value'): { line: number; column: number } | undefined;
}

/** Parses one YAML document; syntax errors (including duplicate keys) become a ManifestError. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues: ManifestIssue[] = document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0]);
      return {
        file,
        line: position.line,
        column: position.col,
        keyPath: '',
        message:
          error.code === 'DUPLICATE_KEY'
            ? `duplicate key ${JSON.stringify(keyTextAt(text, error.pos[0]))}: a key may appear only once in a map`
            : `YAML syntax error: ${firstLine(error.message)}`,
      };
    });
    throw new ManifestError('YAML_SYNTAX', file, issues);
  }
  return {
    file,
    data: document.toJS({ maxAliasCount: 100 }),
    locate(keyPath, at = 'value') {
      const range = rangeOf(document.contents, keyPath, at);
      if (range === undefined) return undefined;
      const position = lineCounter.linePos(range);
      return { line: position.line, column: position.col };
    },
  };
}

function rangeOf(root: unknown, keyPath: readonly PropertyKey[], at: 'key' | 'value'): number | undefined {
  let node = root as Node | null | undefined;
  let best = node?.range?.[0];
  for (const [index, segment] of keyPath.entries()) {
    const last = index === keyPath.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
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

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function keyTextAt(text: string, offset: number): string {
  return (
    /^[^:\n]*/
      .exec(text.slice(offset))?.[0]
      ?.trim()
      .replace(/^["']|["']$/g, '') ?? ''
  );
}
