import { SopsDecryptError } from './errors.js';

/** One age recipient entry of the sops metadata. */
export interface AgeEntry {
  recipient: string;
  enc: string;
}

/** The parts of the `sops` metadata this package needs, normalised across stores. */
export interface SopsMetadata {
  lastModified: string;
  mac: string;
  version: string;
  unencryptedSuffix: string;
  encryptedSuffix: string;
  unencryptedRegex: string;
  encryptedRegex: string;
  macOnlyEncrypted: boolean;
  shamirThreshold: number;
  /** Age entries per key group (one group when the file has no `key_groups`). */
  keyGroups: AgeEntry[][];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** True when a parsed `sops` value carries the fields that make a file a SOPS document. */
export function hasSopsMarkers(sops: unknown): boolean {
  return isObj(sops) && typeof sops.mac === 'string' && sops.lastmodified !== undefined;
}

function ageEntries(list: unknown): AgeEntry[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((e) => ({ recipient: text(e.recipient), enc: text(e.enc) }));
}

/** Mirrors stores.Metadata.ToInternal for the fields used when decrypting with age. */
export function normalizeMetadata(sops: unknown, file: string): SopsMetadata {
  if (!hasSopsMarkers(sops) || !isObj(sops)) {
    throw new SopsDecryptError('NOT_SOPS', `${file}: no sops metadata (sops.mac and sops.lastmodified)`, {
      file,
    });
  }
  const lastModified =
    sops.lastmodified instanceof Date ? sops.lastmodified.toISOString() : text(sops.lastmodified);
  const md: SopsMetadata = {
    lastModified,
    mac: text(sops.mac),
    version: text(sops.version),
    unencryptedSuffix: text(sops.unencrypted_suffix),
    encryptedSuffix: text(sops.encrypted_suffix),
    unencryptedRegex: text(sops.unencrypted_regex),
    encryptedRegex: text(sops.encrypted_regex),
    macOnlyEncrypted: sops.mac_only_encrypted === true || sops.mac_only_encrypted === 'true',
    shamirThreshold: Number.parseInt(String(sops.shamir_threshold ?? '0'), 10) || 0,
    keyGroups: [],
  };
  if (text(sops.unencrypted_comment_regex) !== '' || text(sops.encrypted_comment_regex) !== '') {
    throw new SopsDecryptError(
      'UNSUPPORTED_FEATURE',
      `${file}: encrypted_comment_regex / unencrypted_comment_regex are not supported by the native backend (use sopsBinary)`,
      { file },
    );
  }
  const rules = [md.unencryptedSuffix, md.encryptedSuffix, md.unencryptedRegex, md.encryptedRegex].filter(
    (r) => r !== '',
  );
  if (rules.length > 1) {
    throw new SopsDecryptError(
      'BAD_FORMAT',
      `${file}: sops metadata sets more than one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex`,
      { file },
    );
  }
  if (rules.length === 0) md.unencryptedSuffix = '_unencrypted';
  md.keyGroups = Array.isArray(sops.key_groups)
    ? sops.key_groups.map((g) => (isObj(g) ? ageEntries(g.age) : []))
    : [ageEntries(sops.age)];
  return md;
}

/** stores.Unflatten for the flat `sops_...` metadata of dotenv and INI files. */
export function unflattenMetadata(flat: Map<string, string>): Obj {
  const root: Obj = {};
  for (const [key, value] of flat) {
    const tokens = key.split(/__(?=map_|list_)/);
    let node: Obj | unknown[] = root;
    tokens.forEach((raw, i) => {
      const tok: string | number =
        i === 0 ? raw : raw.startsWith('list_') ? Number(raw.slice(5)) : raw.slice(4);
      const next = tokens[i + 1];
      const container = node as Record<string | number, unknown>;
      if (next === undefined) {
        container[tok] = value;
      } else {
        if (container[tok] === undefined || typeof container[tok] !== 'object') {
          container[tok] = next.startsWith('list_') ? [] : {};
        }
        node = container[tok] as Obj | unknown[];
      }
    });
  }
  return root;
}
