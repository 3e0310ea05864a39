import type { TreeDecryptor } from '../tree-decryptor.js';

/** The file formats sops knows, chosen by file name as sops does. */
export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** A parsed SOPS file: its raw metadata, and a walk that decrypts and renders it. */
export interface ParsedSopsDocument {
  /** The raw `sops` metadata (nested object), or undefined when the file has none. */
  readonly metadata: unknown;
  /** Decrypts every leaf in document order through `td` and returns the plaintext bytes. */
  render(td: TreeDecryptor): Buffer;
}

/** sops' format detection: by suffix, case-sensitive; anything else is the binary store. */
export function formatOf(path: string): SopsFormat {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.env')) return 'dotenv';
  if (path.endsWith('.ini')) return 'ini';
  return 'binary';
}
