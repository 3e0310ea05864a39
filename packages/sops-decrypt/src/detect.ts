import { isUtf8 } from 'node:buffer';
import { formatOf, type SopsFormat } from './formats/document.js';

/**
 * The cheap half of SOPS detection (SPEC section 4), apart from the format parsers: this module loads
 * no YAML and no crypto, so a caller that reads a tree anyway (the content hasher) can rule out
 * ordinary files on the bytes it already has, and load the parsers only for the few files left.
 * Every check here is a necessary condition of `isSopsContent`: a file it rules out is never a SOPS
 * document, a file it lets through still has to be parsed.
 */

/** Every format's marker below contains it. */
const SOPS = Buffer.from('sops');

/** The text of `content` as sops reads it (strict UTF-8, a leading BOM dropped), or undefined. */
export function strictUtf8(content: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}

/** Textual pre-checks per format, so that ordinary files are not fully parsed during detection. */
export function mayBeSopsText(format: SopsFormat, text: string): boolean {
  switch (format) {
    case 'yaml':
      return /^sops:/m.test(text) && text.includes('mac:');
    case 'json':
    case 'binary':
      return /^\s*\{/.test(text) && text.includes('"sops"') && text.includes('"mac"');
    case 'dotenv':
      return /^sops_mac=/m.test(text) && /^sops_lastmodified=/m.test(text);
    case 'ini':
      return /^\s*\[sops\]/m.test(text);
  }
}

/**
 * The text of the whole file `path` when it could be a SOPS document of its format (chosen by name),
 * else undefined.
 */
export function sopsCandidateText(path: string, content: Buffer): string | undefined {
  // Most files are ruled out before any string is made: binary data fails the UTF-8 check within a
  // few bytes (isUtf8 accepts all that the strict decoder below accepts), text lacks the marker.
  if (!isUtf8(content) || !content.includes(SOPS)) return undefined;
  const text = strictUtf8(content);
  return text !== undefined && mayBeSopsText(formatOf(path), text) ? text : undefined;
}

/** True when the whole file `path` with these contents could be a SOPS document. */
export function mayBeSopsContent(path: string, content: Buffer): boolean {
  return sopsCandidateText(path, content) !== undefined;
}

/**
 * For a file larger than one read: true when a file starting with `head` could be a SOPS document.
 * Only text can be (sops documents are UTF-8), so a head that is not UTF-8 rules the file out; a
 * character cut at the end of `head` is not held against it.
 */
export function mayBeSopsHead(head: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}
