import { isUtf8 } from 'node:buffer';
import { createDecipheriv } from 'node:crypto';
import { formatGoTime, parseGoBool, parseGoFloat, parseGoInt } from './go-format.js';
import type { PlainValue } from './plain-value.js';

const ENC_RE = /^ENC\[AES256_GCM,data:([^\n]+),iv:([^\n]+),tag:([^\n]+),type:([^\n]+)\]/;
const B64_ALPHABET = /^[A-Za-z0-9+/]*$/;

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

/** Why a value could not be decrypted; callers turn it into a SopsDecryptError naming the file. */
export class ValueError extends Error {
  constructor(readonly reason: 'format' | 'auth' | 'type') {
    super(reason);
  }
}

/**
 * Standard padded base64, as Go's base64.StdEncoding reads it. Checked without a repeated group:
 * a regex like `(?:[A-Za-z0-9+/]{4})*` backtracks per group and overflows the stack on MiB values.
 */
function strictBase64(text: string): Buffer {
  const clean = text.replace(/[\r\n]/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const body = clean.slice(0, clean.length - padding);
  if (clean.length % 4 !== 0 || !B64_ALPHABET.test(body)) throw new ValueError('format');
  return Buffer.from(clean, 'base64');
}

export function isEncryptedString(text: string): boolean {
  return ENC_RE.test(text);
}

/** Parses `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]` like sops' aes.parse. */
export function parseEncryptedValue(text: string): EncryptedValue {
  const m = ENC_RE.exec(text);
  if (!m) throw new ValueError('format');
  const tag = strictBase64(m[3] ?? '');
  const iv = strictBase64(m[2] ?? '');
  if (tag.length !== 16 || iv.length === 0) throw new ValueError('format');
  return { data: strictBase64(m[1] ?? ''), iv, tag, type: m[4] ?? '' };
}

/** AES-256-GCM open with the path-derived additional data; only a failed authentication is 'auth'. */
export function openValue(ev: EncryptedValue, key: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, ev.iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(ev.tag);
  const data = decipher.update(ev.data);
  try {
    return Buffer.concat([data, decipher.final()]);
  } catch {
    throw new ValueError('auth');
  }
}

/** Converts decrypted bytes to the typed value sops' cipher returns. Comments come back as str. */
export function typedValue(type: string, bytes: Buffer): PlainValue {
  const text = bytes.toString('utf8');
  switch (type) {
    case 'str':
    case 'comment':
      return { type: 'str', value: text };
    case 'bytes':
      return { type: 'bytes', value: bytes };
    case 'int':
    case 'int64': {
      const v = parseGoInt(text);
      if (v === undefined) throw new ValueError('type');
      return { type: 'int', value: v };
    }
    case 'float': {
      const v = parseGoFloat(text);
      if (v === undefined) throw new ValueError('type');
      return { type: 'float', value: v };
    }
    case 'bool': {
      const v = parseGoBool(text);
      if (v === undefined) throw new ValueError('type');
      return { type: 'bool', value: v };
    }
    case 'time': {
      const v = formatGoTime(text, true);
      if (v === undefined) throw new ValueError('type');
      return { type: 'time', value: v };
    }
    default:
      throw new ValueError('type');
  }
}

/**
 * Decrypts one ENC[] string (empty strings are never encrypted and come back as ''). `keepBytes`:
 * a str that is not UTF-8 comes back as its bytes (the binary store holds any bytes as a Go string).
 */
export function decryptValue(text: string, key: Buffer, aad: string, keepBytes = false): PlainValue {
  if (text === '') return { type: 'str', value: '' };
  const ev = parseEncryptedValue(text);
  const bytes = openValue(ev, key, aad);
  if (keepBytes && ev.type === 'str' && !isUtf8(bytes)) return { type: 'bytes', value: bytes };
  return typedValue(ev.type, bytes);
}
