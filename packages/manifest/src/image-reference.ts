/**
 * Docker image references as stow.yaml writes them: `name[:tag][@sha256:<64 hex>]`, where name may carry
 * a registry host with a port (`127.0.0.1:5000/apps/web`).
 */
export interface ImageReference {
  /** Repository including registry host, e.g. `registry.example.com/apps/webapp`. */
  readonly repository: string;
  readonly tag: string | undefined;
  /** `sha256:<64 hex>` when pinned. */
  readonly digest: string | undefined;
}

const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
// Like Docker: the first component is a registry host only with a dot, a port, or when it is localhost.
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HOST = `(?:${LABEL}(?:\\.${LABEL})+(?::[0-9]+)?|${LABEL}:[0-9]+|localhost)`;
const REFERENCE = new RegExp(
  `^((?:${HOST}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$`,
);
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function parseImageReference(text: string): ImageReference | undefined {
  const match = REFERENCE.exec(text);
  if (!match?.[1]) return undefined;
  return { repository: match[1], tag: match[2], digest: match[3] };
}

export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
