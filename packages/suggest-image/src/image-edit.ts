import { isAlias, isMap, isPair, isScalar, type Node, parseDocument, Scalar } from 'yaml';
import { SuggestImageError } from './errors.js';

export interface ImageEdit {
  /** The new stow.yaml text: the old text with exactly the image scalar's source range replaced. */
  readonly text: string;
  /** The image the container had. */
  readonly oldImage: string;
  /** 1-based line of the edited scalar. */
  readonly line: number;
}

/** The container names of a stow.yaml text, in file order (empty when there is no containers map). */
export function containerNames(text: string): string[] {
  const document = parseDocument(text);
  const containers = isMap(document.contents) ? document.contents.get('containers', true) : undefined;
  if (!isMap(containers)) return [];
  return containers.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : []));
}

/**
 * Replaces `containers.<container>.image` in stow.yaml text with `newImage`, keeping every other byte:
 * only the scalar's own source range (from yaml's CST ranges) is rewritten, in its original quoting
 * style (plain, 'single' or "double"). Comments, order, anchors, flow maps and CRLF line ends stay.
 * Refuses (UNEDITABLE) an image given as an alias, carrying an anchor, or written as a block scalar:
 * editing those would change other keys or need a re-layout; such files are edited by hand.
 */
export function replaceContainerImage(
  text: string,
  container: string,
  newImage: string,
  file = 'stow.yaml',
): ImageEdit {
  const document = parseDocument(text, { keepSourceTokens: false });
  if (document.errors.length > 0) {
    throw new SuggestImageError(
      'MANIFEST_INVALID',
      `${file}: YAML syntax error: ${document.errors[0]?.message.split('\n')[0]}`,
    );
  }
  const root = document.contents;
  const containers = isMap(root) ? root.get('containers', true) : undefined;
  if (!isMap(containers)) {
    throw new SuggestImageError(
      'UNKNOWN_CONTAINER',
      `${file} has no containers map; cannot pin container "${container}"`,
    );
  }
  const pair = containers.items.find(
    (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === container,
  );
  if (!pair) {
    const known = containerNames(text);
    throw new SuggestImageError(
      'UNKNOWN_CONTAINER',
      `${file}: no container "${container}" (known containers: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  const spec = pair.value as Node | null;
  const where = `${file}: containers.${container}.image`;
  if (isAlias(spec))
    throw new SuggestImageError(
      'UNEDITABLE',
      `${file}: containers.${container} is an alias; edit it by hand`,
    );
  if (!isMap(spec))
    throw new SuggestImageError('UNEDITABLE', `${file}: containers.${container} is not a map`);
  const imagePair = spec.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === 'image');
  const node = imagePair?.value as Node | null | undefined;
  if (!node) throw new SuggestImageError('UNEDITABLE', `${where} is missing`);
  if (isAlias(node))
    throw new SuggestImageError('UNEDITABLE', `${where} is an alias (*${node.source}); edit it by hand`);
  if (!isScalar(node) || typeof node.value !== 'string') {
    throw new SuggestImageError('UNEDITABLE', `${where} is not a string`);
  }
  if (node.anchor) {
    throw new SuggestImageError(
      'UNEDITABLE',
      `${where} carries the anchor &${node.anchor}; aliases of it would change too, edit it by hand`,
    );
  }
  const range = node.range;
  if (!range) throw new SuggestImageError('UNEDITABLE', `${where} has no source position`);
  const [start, end] = range;
  const written = quoteLike(node.type, newImage);
  if (written === undefined) {
    throw new SuggestImageError(
      'UNEDITABLE',
      `${where} is a ${node.type} scalar; write it on one line to let stow edit it`,
    );
  }
  const next = `${text.slice(0, start)}${written}${text.slice(end)}`;
  // The edit must read back as exactly the new image and change nothing else of the document.
  const reread = parseDocument(next);
  const before = document.toJS() as Record<string, unknown>;
  const after = reread.toJS() as Record<string, unknown>;
  setImage(before, container, newImage);
  if (reread.errors.length > 0 || JSON.stringify(before) !== JSON.stringify(after)) {
    throw new SuggestImageError(
      'UNEDITABLE',
      `${where}: writing ${JSON.stringify(newImage)} in place did not read back as that image`,
    );
  }
  const line = text.slice(0, start).split('\n').length;
  return { text: next, oldImage: node.value, line };
}

function setImage(data: Record<string, unknown>, container: string, image: string): void {
  const containers = data.containers as Record<string, Record<string, unknown>>;
  const spec = containers[container];
  if (spec) spec.image = image;
}

/** The new value in the scalar's original style; undefined for block scalars. */
function quoteLike(type: Scalar['type'], value: string): string | undefined {
  switch (type) {
    case Scalar.QUOTE_DOUBLE:
      return JSON.stringify(value);
    case Scalar.QUOTE_SINGLE:
      return `'${value.replaceAll("'", "''")}'`;
    case Scalar.PLAIN:
    case undefined:
      return value;
    default:
      return undefined;
  }
}
