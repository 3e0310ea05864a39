import { formatFloatF } from './go-format.js';

/** A decrypted (or clear) leaf value with the Go type sops gives it. */
export type PlainValue =
  | { type: 'str'; value: string }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'bytes'; value: Buffer }
  | { type: 'time'; value: string };

export const str = (value: string): PlainValue => ({ type: 'str', value });

/** The bytes sops feeds to the MAC for a value (sops.ToBytes). */
export function macBytes(v: PlainValue): Buffer {
  switch (v.type) {
    case 'str':
      return Buffer.from(v.value, 'utf8');
    case 'int':
      return Buffer.from(v.value.toString(), 'utf8');
    case 'float':
      return Buffer.from(formatFloatF(v.value), 'utf8');
    case 'bool':
      return Buffer.from(v.value ? 'True' : 'False', 'utf8');
    case 'bytes':
      return v.value;
    case 'time':
      return Buffer.from(v.value, 'utf8');
  }
}

/** stores.ValueToString, as the dotenv store renders values. */
export function valueToText(v: PlainValue): string {
  switch (v.type) {
    case 'str':
    case 'time':
      return v.value;
    case 'int':
      return v.value.toString();
    case 'float':
      return formatFloatF(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'bytes':
      return v.value.toString('utf8');
  }
}
