import { mayBeSopsText } from '../detect.js';
import { SopsDecryptError } from '../errors.js';
import { hasSopsMarkers } from '../metadata.js';
import { parseBinaryStore } from './binary.js';
import type { ParsedSopsDocument, SopsFormat } from './document.js';
import { parseDotenvStore } from './dotenv.js';
import { parseIniStore } from './ini.js';
import { parseJsonStore } from './json.js';
import { parseYamlStore } from './yaml.js';

export { formatOf, type SopsFormat } from './document.js';

/** Parses a file of the given format into its data and raw sops metadata. */
export function parseSopsDocument(format: SopsFormat, text: string, file: string): ParsedSopsDocument {
  switch (format) {
    case 'yaml':
      return parseYamlStore(text, file);
    case 'json':
      return parseJsonStore(text, file);
    case 'dotenv':
      return parseDotenvStore(text, file);
    case 'ini':
      return parseIniStore(text, file);
    case 'binary':
      return parseBinaryStore(text, file);
  }
}

/** SPEC section 4 detection: the format's content carries SOPS metadata (mac and lastmodified). */
export function isSopsDocument(format: SopsFormat, text: string, file = '<input>'): boolean {
  if (!mayBeSopsText(format, text)) return false;
  try {
    const doc = parseSopsDocument(format, text, file);
    if (format === 'binary' && !hasDataKey(text)) return false;
    return hasSopsMarkers(doc.metadata);
  } catch (err) {
    if (err instanceof SopsDecryptError) return false;
    throw err;
  }
}

function hasDataKey(text: string): boolean {
  return text.includes('"data"');
}
