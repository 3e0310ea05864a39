import { parseImageReference } from '@stow/manifest';

export interface RenderInput {
  readonly container: string;
  readonly subfolder: string;
  readonly oldImage: string;
  readonly newImage: string;
  /** `sha256:<64 hex>` */
  readonly digest: string;
  /** `deployment.daemonBaseUrl` of stow.yaml, when set. */
  readonly daemonBaseUrl?: string | undefined;
  /** The suggest branch's commit (the badge asks the daemon about it). */
  readonly suggestSha: string;
  /** Changelog excerpt (markdown), '' or undefined for none. */
  readonly changelog?: string | undefined;
  /** Where the changelog came from, for the section heading. */
  readonly changelogFile?: string | undefined;
}

const shortDigest = (digest: string) => digest.slice(0, 'sha256:'.length + 12);

/**
 * `webapp: 20260428.0 -> 20260429.1` when both images have tags that differ; otherwise the new tag
 * (or none) with the short digest: `webapp: 20260429.1 (sha256:0123456789ab)`.
 */
export function renderTitle(container: string, oldImage: string, newImage: string, digest: string): string {
  const oldTag = parseImageReference(oldImage)?.tag;
  const newTag = parseImageReference(newImage)?.tag;
  if (oldTag && newTag && oldTag !== newTag) return `${container}: ${oldTag} -> ${newTag}`;
  return `${container}: ${newTag ? `${newTag} ` : ''}(${shortDigest(digest)})`;
}

/** `https://h:17403///` -> `https://h:17403` (the badge paths are appended with one slash). */
export function normaliseBaseUrl(base: string): string {
  return base.trim().replace(/\/+$/, '');
}

/** The Markdown convergence badge of a commit, linking to the daemon's status page. */
export function badgeMarkdown(daemonBaseUrl: string, sha: string): string {
  const base = normaliseBaseUrl(daemonBaseUrl);
  return `[![stow](${base}/gitlab.svg?git_hash=${sha})](${base}/status?head_hash=${sha})`;
}

/** The MR description: old -> new image, digest, badge (with daemonBaseUrl), changelog. Deterministic. */
export function renderDescription(input: RenderInput): string {
  const parts = [
    `Pins container \`${input.container}\` of \`${input.subfolder}\` to a new image.`,
    '',
    '| | image |',
    '| --- | --- |',
    `| old | \`${input.oldImage}\` |`,
    `| new | \`${input.newImage}\` |`,
    '',
    `Digest: \`${input.digest}\``,
  ];
  if (input.daemonBaseUrl) {
    parts.push('', `Convergence on the host: ${badgeMarkdown(input.daemonBaseUrl, input.suggestSha)}`);
  }
  if (input.changelog) {
    parts.push(
      '',
      `### Changelog${input.changelogFile ? ` (${input.changelogFile})` : ''}`,
      '',
      input.changelog,
    );
  }
  parts.push('', '<sub>Opened by `stow suggest-image`; rerunning it updates this merge request.</sub>', '');
  return parts.join('\n');
}
