import { SopsDecryptError } from '../errors.js';
import { valueToText } from '../plain-value.js';
import type { ParsedSopsDocument } from './document.js';
import { parseJsonDocument } from './json.js';

/** The binary store: a JSON envelope `{"data": ENC[...], "sops": {...}}`; emits `data` as-is. */
export function parseBinaryStore(text: string, file: string): ParsedSopsDocument {
  const { entries, metadata } = parseJsonDocument(text, file);
  return {
    metadata,
    render(td) {
      let out: Buffer | undefined;
      for (const [key, node] of entries) {
        if (node.t !== 'str') {
          throw new SopsDecryptError('BAD_FORMAT', `${file}: binary envelope key ${key} is not a string`, {
            file,
          });
        }
        const v = td.leaf([key], { type: 'str', value: node.v }, key === 'data');
        if (key === 'data') out = v.type === 'bytes' ? v.value : Buffer.from(valueToText(v), 'utf8');
      }
      if (out === undefined) {
        throw new SopsDecryptError('BAD_FORMAT', `${file}: binary envelope has no "data" key`, { file });
      }
      return out;
    },
  };
}
