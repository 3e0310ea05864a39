import { parseImageReference } from '@stow/manifest';
import { SuggestImageError } from './errors.js';

/**
 * `--digest`: 64 hex digits, with or without `sha256:` (case-insensitive), as `sha256:<lowercase hex>`.
 * It must be the REGISTRY MANIFEST digest (what `docker push` prints), not the image ID: both are 64
 * hex, so nothing here can tell them apart.
 */
export function normaliseDigest(input: string): string {
  const match = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(input.trim());
  if (!match?.[1]) {
    throw new SuggestImageError(
      'BAD_DIGEST',
      `--digest ${JSON.stringify(input)} is not a sha256 digest (64 hex digits, optionally prefixed by sha256:)`,
    );
  }
  return `sha256:${match[1].toLowerCase()}`;
}

/**
 * `--image`: `repository[:tag]`. A reference that already carries a digest is refused: the digest
 * comes from `--digest` or from Docker, never from two places that could disagree.
 */
export function parseImageFlag(image: string): { repository: string; tag: string | undefined } {
  const ref = parseImageReference(image.trim());
  if (!ref) {
    throw new SuggestImageError(
      'BAD_IMAGE',
      `--image ${JSON.stringify(image)} is not an image reference (repository[:tag])`,
    );
  }
  if (ref.digest) {
    throw new SuggestImageError(
      'BAD_IMAGE',
      `--image ${JSON.stringify(image)} already carries a digest; pass repository[:tag] and the digest with --digest`,
    );
  }
  return { repository: ref.repository, tag: ref.tag };
}
