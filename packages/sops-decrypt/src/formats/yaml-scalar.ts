// How yaml.v3 (which sops uses) resolves a plain scalar when decoding into interface{}.
import { formatGoTime, parseGoInt } from '../go-format.js';
import type { PlainValue } from '../plain-value.js';

const FLOAT_RE = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d*)?[ \t]*(Z|[+-]\d{1,2}(?::?\d{2})?)?)?$/;

/** Go strconv.ParseInt(s, 0, 64) (prefixes 0x, 0o, 0b and a leading 0 for octal). */
function parseIntBase0(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2] as string;
  let v: bigint;
  if (/^0[oO]/.test(body)) v = BigInt(`0o${body.slice(2)}`);
  else if (/^0[xXbB]/.test(body)) v = BigInt(body.toLowerCase());
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  return parseGoInt(v.toString());
}

function pad(n: string | undefined, width = 2): string {
  return (n ?? '0').padStart(width, '0');
}

/** A YAML 1.1 timestamp as Go's time.Time.MarshalText (RFC 3339 with nanoseconds). */
function timestamp(s: string): string | undefined {
  const m = TIMESTAMP_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (h === undefined) return formatGoTime(`${y}-${pad(mo)}-${pad(d)}T00:00:00Z`, true);
  let z = zone ?? 'Z';
  if (z !== 'Z') {
    const zm = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(z);
    z = `${zm?.[1]}${pad(zm?.[2])}:${zm?.[3] ?? '00'}`;
  }
  return formatGoTime(`${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(sec)}${frac ?? ''}${z}`, true);
}

export type ResolvedScalar = PlainValue | null | 'unsupported';

/** Resolves plain scalar text; `null` for YAML nulls, 'unsupported' for values sops cannot walk. */
export function resolvePlainScalar(text: string): ResolvedScalar {
  if (['', '~', 'null', 'Null', 'NULL'].includes(text)) return null;
  if (['true', 'True', 'TRUE'].includes(text)) return { type: 'bool', value: true };
  if (['false', 'False', 'FALSE'].includes(text)) return { type: 'bool', value: false };
  if (['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].includes(text)) {
    return { type: 'float', value: Number.POSITIVE_INFINITY };
  }
  if (['-.inf', '-.Inf', '-.INF'].includes(text)) return { type: 'float', value: Number.NEGATIVE_INFINITY };
  if (['.nan', '.NaN', '.NAN'].includes(text)) return { type: 'float', value: Number.NaN };
  const first = text[0] ?? '';
  if (/[-+.0-9]/.test(first)) {
    if (/[0-9]/.test(first)) {
      const t = timestamp(text);
      if (t !== undefined) return { type: 'time', value: t };
    }
    const plain = text.replaceAll('_', '');
    const i = parseIntBase0(plain);
    if (i !== undefined) return { type: 'int', value: i };
    if (
      /^[+-]?(0[xXoObB])?[0-9a-fA-F]+$/.test(plain) &&
      parseIntBase0(plain) === undefined &&
      /^[+-]?\d+$/.test(plain)
    ) {
      // Out of int64 range: yaml.v3 yields uint64 or float64; uint64 is not walkable by sops.
      const big = BigInt(plain);
      if (big >= 0n && big < 2n ** 64n) return 'unsupported';
    }
    if (FLOAT_RE.test(plain)) return { type: 'float', value: Number(plain) };
  }
  return { type: 'str', value: text };
}
