// TEST-ONLY sops-format encryptor (excluded from the build). It writes files laid out like real
// sops output (same metadata fields, ENC[] format, MAC) so the decryptor can be checked on cases no
// public fixture covers. It is not a general sops replacement.
import { createCipheriv, randomBytes } from 'node:crypto';
import { armor, Encrypter } from 'age-encryption';
import { type Document, isMap, isScalar, isSeq, parseAllDocuments, type YAMLMap, type YAMLSeq } from 'yaml';
import { encryptionRule } from '../encryption-rules.js';
import { parseDotenvItems } from '../formats/dotenv.js';
import { type JsonNode, parseJson, writeJson } from '../formats/json-tree.js';
import { parseGoInt } from '../go-format.js';
import { MacHasher } from '../mac.js';
import type { SopsMetadata } from '../metadata.js';
import { macBytes, type PlainValue } from '../plain-value.js';
import { splitSecret } from '../shamir.js';

export interface EncryptOptions {
  format: 'yaml' | 'json' | 'dotenv' | 'binary';
  /** Bytes only for the binary store: sops keeps a binary file's bytes as they are, typed str. */
  plaintext: string | Buffer;
  /** One key group with these age recipients ... */
  recipients?: string[];
  /** ... or several key groups combined with Shamir. */
  keyGroups?: string[][];
  threshold?: number;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted?: boolean;
  lastModified?: string;
  version?: string;
  dataKey?: Buffer;
}

export function encryptValue(
  v: PlainValue | { type: 'comment'; value: string },
  key: Buffer,
  aad: string,
  typeName: string = v.type,
): string {
  const plain = v.type === 'comment' ? Buffer.from(v.value, 'utf8') : macBytes(v);
  if (plain.length === 0 && (v.type === 'str' || v.type === 'comment')) return '';
  const iv = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([c.update(plain), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${typeName}]`;
}

const aadOf = (path: readonly string[]): string => `${path.join(':')}:`;

class Walker {
  readonly mac: MacHasher;
  readonly rule: (path: readonly string[]) => boolean;
  constructor(
    readonly key: Buffer,
    readonly md: SopsMetadata,
  ) {
    this.mac = new MacHasher(md.macOnlyEncrypted);
    this.rule = encryptionRule(md, 'test');
  }
  leaf(path: readonly string[], v: PlainValue): string | PlainValue {
    const enc = this.rule(path);
    if (!this.md.macOnlyEncrypted || enc) this.mac.add(v);
    return enc ? encryptValue(v, this.key, aadOf(path)) : v;
  }
  comment(text: string, path: readonly string[]): string {
    return this.rule(path) ? encryptValue({ type: 'comment', value: text }, this.key, aadOf(path)) : text;
  }
}

function yamlComments(w: Walker, text: string | null | undefined, path: string[]): string | undefined {
  if (text === null || text === undefined) return undefined;
  return text
    .split('\n')
    .map((l) => w.comment(l, path))
    .join('\n');
}

function yamlNode(w: Walker, node: unknown, path: string[], container: string[]): void {
  if (isMap(node)) {
    const map = node as YAMLMap;
    map.commentBefore = yamlComments(w, map.commentBefore, container);
    for (const pair of map.items) {
      const k = String((pair.key as { value: unknown }).value);
      if (isScalar(pair.key)) pair.key.commentBefore = yamlComments(w, pair.key.commentBefore, path);
      yamlNode(w, pair.value, [...path, k], path);
    }
  } else if (isSeq(node)) {
    const seq = node as YAMLSeq;
    seq.commentBefore = yamlComments(w, seq.commentBefore, path);
    seq.comment = yamlComments(w, seq.comment, path);
    for (const item of seq.items) yamlNode(w, item, path, path);
  } else if (isScalar(node)) {
    node.commentBefore = yamlComments(w, node.commentBefore, container);
    node.comment = yamlComments(w, node.comment, container);
    const raw = node.value;
    const v: PlainValue | undefined =
      typeof raw === 'string'
        ? { type: 'str', value: raw }
        : typeof raw === 'bigint'
          ? { type: 'int', value: raw }
          : typeof raw === 'number'
            ? { type: 'float', value: raw }
            : typeof raw === 'boolean'
              ? { type: 'bool', value: raw }
              : undefined;
    if (v === undefined) return;
    const out = w.leaf(path, v);
    if (typeof out === 'string') {
      node.value = out;
      node.type = 'PLAIN';
    }
  }
}

function jsonNode(w: Walker, node: JsonNode, path: string[]): JsonNode {
  switch (node.t) {
    case 'obj':
      return { t: 'obj', entries: node.entries.map(([k, v]) => [k, jsonNode(w, v, [...path, k])]) };
    case 'arr':
      return { t: 'arr', items: node.items.map((v) => jsonNode(w, v, path)) };
    case 'str':
    case 'bool':
    case 'num': {
      const v: PlainValue =
        node.t === 'str'
          ? { type: 'str', value: node.v }
          : node.t === 'bool'
            ? { type: 'bool', value: node.v }
            : /^-?\d+$/.test(node.raw) && parseGoInt(node.raw) !== undefined
              ? { type: 'int', value: BigInt(node.raw) }
              : { type: 'float', value: Number(node.raw) };
      const out = w.leaf(path, v);
      return typeof out === 'string' ? { t: 'str', v: out } : node;
    }
    default:
      return node;
  }
}

async function wrap(part: Uint8Array, recipient: string): Promise<{ recipient: string; enc: string }> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return { recipient, enc: armor.encode(await e.encrypt(part)) };
}

/** Builds the `sops` metadata object in sops' field order. */
async function metadataObject(o: EncryptOptions, key: Buffer, mac: string): Promise<Record<string, unknown>> {
  const lastModified = o.lastModified ?? '2026-01-02T03:04:05Z';
  const meta: Record<string, unknown> = {};
  if (o.keyGroups && o.keyGroups.length > 1) {
    const threshold = o.threshold ?? o.keyGroups.length;
    const parts = splitSecret(key, o.keyGroups.length, threshold, (n) => randomBytes(n));
    meta.shamir_threshold = threshold;
    meta.key_groups = await Promise.all(
      o.keyGroups.map(async (g, i) => ({
        age: await Promise.all(g.map((r) => wrap(parts[i] as Buffer, r))),
      })),
    );
  } else {
    meta.age = await Promise.all((o.keyGroups?.[0] ?? o.recipients ?? []).map((r) => wrap(key, r)));
  }
  meta.lastmodified = lastModified;
  meta.mac = encryptValue({ type: 'str', value: mac }, key, lastModified);
  if (o.unencryptedSuffix !== undefined || o.encryptedSuffix === undefined) {
    if (!o.encryptedRegex && !o.unencryptedRegex && !o.encryptedSuffix) {
      meta.unencrypted_suffix = o.unencryptedSuffix ?? '_unencrypted';
    }
  }
  if (o.encryptedSuffix) meta.encrypted_suffix = o.encryptedSuffix;
  if (o.unencryptedRegex) meta.unencrypted_regex = o.unencryptedRegex;
  if (o.encryptedRegex) meta.encrypted_regex = o.encryptedRegex;
  if (o.macOnlyEncrypted) meta.mac_only_encrypted = true;
  meta.version = o.version ?? '3.13.2';
  return meta;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      flatten(v, `${prefix}__list_${i}`, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}__map_${k}` : k, out);
  } else out.set(prefix, String(value).replaceAll('\n', '\\n'));
}

const toJsonNode = (v: unknown): JsonNode =>
  Array.isArray(v)
    ? { t: 'arr', items: v.map(toJsonNode) }
    : typeof v === 'object' && v !== null
      ? { t: 'obj', entries: Object.entries(v).map(([k, x]) => [k, toJsonNode(x)]) }
      : typeof v === 'number'
        ? { t: 'num', raw: String(v) }
        : typeof v === 'boolean'
          ? { t: 'bool', v }
          : { t: 'str', v: String(v) };

/** A binary file of any bytes: sops stores them as the string `data` (Go strings hold any bytes). */
async function binaryBytes(w: Walker, o: EncryptOptions, key: Buffer, bytes: Buffer): Promise<string> {
  if (o.format !== 'binary') throw new Error('bytes are a plaintext for the binary store only');
  const value: PlainValue = { type: 'bytes', value: bytes };
  w.mac.add(value);
  const data = encryptValue(value, key, 'data:', 'str');
  return writeJson({
    t: 'obj',
    entries: [
      ['data', { t: 'str', v: data }],
      ['sops', toJsonNode(await metadataObject(o, key, w.mac.hex()))],
    ],
  });
}

/** Encrypts a plaintext document the way `sops --encrypt` lays it out. */
export async function sopsEncrypt(o: EncryptOptions): Promise<string> {
  const key = o.dataKey ?? randomBytes(32);
  const md: SopsMetadata = {
    lastModified: '',
    mac: '',
    version: '',
    unencryptedSuffix:
      o.encryptedSuffix || o.encryptedRegex || o.unencryptedRegex
        ? ''
        : (o.unencryptedSuffix ?? '_unencrypted'),
    encryptedSuffix: o.encryptedSuffix ?? '',
    unencryptedRegex: o.unencryptedRegex ?? '',
    encryptedRegex: o.encryptedRegex ?? '',
    macOnlyEncrypted: o.macOnlyEncrypted ?? false,
    shamirThreshold: 0,
    keyGroups: [],
  };
  const w = new Walker(key, md);
  switch (o.format) {
    case 'yaml': {
      const docs = parseAllDocuments(o.plaintext.toString(), {
        intAsBigInt: true,
        merge: false,
      }) as Document.Parsed[];
      for (const doc of docs) {
        doc.commentBefore = yamlComments(w, doc.commentBefore, []) ?? null;
        yamlNode(w, doc.contents, [], []);
        doc.comment = yamlComments(w, doc.comment, []) ?? null;
      }
      const meta = await metadataObject(o, key, w.mac.hex());
      return docs
        .map((doc) => {
          (doc.contents as YAMLMap).set('sops', doc.createNode(meta));
          if (doc.directives) doc.directives.docStart = null;
          return doc.toString({ indent: 4, lineWidth: 0 });
        })
        .join('---\n');
    }
    case 'json':
    case 'binary': {
      if (Buffer.isBuffer(o.plaintext)) return binaryBytes(w, o, key, o.plaintext);
      const root: JsonNode =
        o.format === 'binary'
          ? { t: 'obj', entries: [['data', { t: 'str', v: o.plaintext }]] }
          : parseJson(o.plaintext);
      const enc = jsonNode(w, root, []);
      const meta = await metadataObject(o, key, w.mac.hex());
      if (enc.t !== 'obj') throw new Error('JSON root must be an object');
      enc.entries.push(['sops', toJsonNode(meta)]);
      return writeJson(enc);
    }
    case 'dotenv': {
      let out = '';
      for (const item of parseDotenvItems(o.plaintext.toString(), 'plaintext')) {
        if ('comment' in item) out += `#${w.comment(item.comment, [])}\n`;
        else {
          const v = w.leaf([item.key], { type: 'str', value: item.value });
          out += `${item.key}=${typeof v === 'string' ? v : String(v.value)}\n`.replace(/\n(?!$)/g, '\\n');
        }
      }
      const flat = new Map<string, string>();
      flatten(await metadataObject(o, key, w.mac.hex()), '', flat);
      for (const k of [...flat.keys()].sort()) out += `sops_${k}=${flat.get(k)}\n`;
      return out;
    }
  }
}
