import { SopsDecryptError } from '../errors.js';
import { unflattenMetadata } from '../metadata.js';
import { valueToText } from '../plain-value.js';
import { aadOf, type TreeDecryptor } from '../tree-decryptor.js';
import type { ParsedSopsDocument } from './document.js';

type DotenvItem = { comment: string } | { key: string; value: string };

/** sops' dotenv LoadPlainFile: `#` comments, `KEY=VALUE` split at the first `=`, `\n` escapes. */
export function parseDotenvItems(text: string, file: string): DotenvItem[] {
  const items: DotenvItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.length === 0) return;
    if (line.startsWith('#')) {
      items.push({ comment: line.slice(1) });
      return;
    }
    const pos = line.indexOf('=');
    if (pos === -1) {
      throw new SopsDecryptError('BAD_FORMAT', `${file}:${i + 1}: invalid dotenv line (no '=')`, {
        file,
        line: i + 1,
      });
    }
    items.push({ key: line.slice(0, pos), value: line.slice(pos + 1).replaceAll('\\n', '\n') });
  });
  return items;
}

export function parseDotenvStore(text: string, file: string): ParsedSopsDocument {
  const all = parseDotenvItems(text, file);
  const flat = new Map<string, string>();
  const data: DotenvItem[] = [];
  for (const item of all) {
    if ('key' in item && item.key.startsWith('sops_')) {
      // A CRLF checkout would leave '\r' on metadata values; it is never part of them.
      flat.set(item.key.slice(5), item.value.replace(/\r$/, ''));
    } else data.push(item);
  }
  const metadata = flat.size > 0 ? unflattenMetadata(flat) : undefined;
  return {
    metadata,
    render(td: TreeDecryptor) {
      let out = '';
      for (const item of data) {
        if ('comment' in item) out += `#${td.comment(item.comment, [aadOf([])])}\n`;
        else
          out += `${item.key}=${valueToText(td.leaf([item.key], { type: 'str', value: item.value })).replaceAll('\n', '\\n')}\n`;
      }
      return Buffer.from(out, 'utf8');
    },
  };
}
