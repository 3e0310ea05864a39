import { SopsDecryptError } from '../errors.js';
import { formatFloatF } from '../go-format.js';
import { unflattenMetadata } from '../metadata.js';
import type { PlainValue } from '../plain-value.js';
import { aadOf, type TreeDecryptor } from '../tree-decryptor.js';
import type { ParsedSopsDocument } from './document.js';
import { type IniSection, IniSyntaxError, parseIni, writeIni } from './ini-parse.js';

/** sops' stripCommentChar. */
function stripCommentChar(c: string): string {
  if (c.startsWith(';')) return c.replace(/^[; ]+/, '');
  if (c.startsWith('#')) return c.replace(/^[# ]+/, '');
  return c;
}

/** The INI store's valToString. */
function iniValue(v: PlainValue): string {
  switch (v.type) {
    case 'float':
      return Number.isFinite(v.value) ? v.value.toFixed(6) : formatFloatF(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'int':
      return v.value.toString();
    case 'bytes':
      return v.value.toString('utf8');
    default:
      return v.value;
  }
}

export function parseIniStore(text: string, file: string): ParsedSopsDocument {
  let sections: IniSection[];
  try {
    sections = parseIni(text);
  } catch (err) {
    const line = err instanceof IniSyntaxError ? err.line : undefined;
    throw new SopsDecryptError('BAD_FORMAT', `${file}${line ? `:${line}` : ''}: invalid INI`, { file, line });
  }
  const sopsSection = sections.find((s) => s.name === 'sops');
  const metadata = sopsSection
    ? unflattenMetadata(new Map(sopsSection.keys.map((k) => [k.name, k.value.replaceAll('\\n', '\n')])))
    : undefined;
  const data = sections.filter((s) => s.name !== 'sops');
  return {
    metadata,
    render(td: TreeDecryptor) {
      const out: IniSection[] = data.map((sec) => {
        const aad = [aadOf([sec.name])];
        return {
          name: sec.name,
          comment: sec.comment ? td.comment(stripCommentChar(sec.comment), aad) : '',
          keys: sec.keys.map((k) => ({
            name: k.name,
            value: iniValue(td.leaf([sec.name, k.name], { type: 'str', value: k.value })),
            comment: k.comment ? td.comment(stripCommentChar(k.comment), aad) : '',
          })),
        };
      });
      return Buffer.from(writeIni(out), 'utf8');
    },
  };
}
