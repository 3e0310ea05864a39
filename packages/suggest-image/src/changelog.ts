/** The part of a changelog that a version bump brings. */
export interface ChangelogExcerpt {
  /** The markdown lines, trailing blank lines removed; '' when nothing was added. */
  readonly text: string;
  /** Where the excerpt starts: at the heading naming the new tag, or the top of the file. */
  readonly start: 'new-tag-heading' | 'top';
  /** Where it stops: before the heading naming the old tag, or the end of the file. */
  readonly end: 'old-tag-heading' | 'end';
}

interface Heading {
  /** Index of the heading's first line. */
  readonly line: number;
  readonly text: string;
}

/** Longest excerpt kept (GitLab allows 1 MiB descriptions; an MR needs far less). */
export const MAX_CHANGELOG_CHARS = 20_000;

/**
 * The markdown lines added between two image tags: from the heading that names `newTag` (or the
 * top of the file when no heading names it) down to, not including, the heading that names `oldTag`
 * (or the end when none does). ATX (`## 1.2.0`, `# v1.2.0`, `## [1.2.0] - date`) and setext
 * headings count; headings inside fenced code blocks do not. A tag matches only as a whole version
 * (`1.2` does not match `1.2.0`), with or without a leading `v`. Equal tags, or an old-tag heading
 * above the new one (a downgrade), bring nothing: ''.
 */
export function changelogBetween(
  markdown: string,
  tags: { oldTag?: string | undefined; newTag?: string | undefined },
): ChangelogExcerpt {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const headings = findHeadings(lines);
  const { oldTag, newTag } = tags;
  const newHeading = newTag ? headings.find((h) => namesTag(h.text, newTag)) : undefined;
  const oldHeading = oldTag ? headings.find((h) => namesTag(h.text, oldTag)) : undefined;
  if (newTag && oldTag && sameVersion(newTag, oldTag))
    return { text: '', start: newHeading ? 'new-tag-heading' : 'top', end: 'old-tag-heading' };
  const from = newHeading?.line ?? 0;
  if (oldHeading && newHeading && oldHeading.line < newHeading.line) {
    return { text: '', start: 'new-tag-heading', end: 'old-tag-heading' };
  }
  const stop = oldTag ? headings.find((h) => h.line > from && namesTag(h.text, oldTag)) : undefined;
  const picked = lines.slice(from, stop?.line ?? lines.length);
  while (picked.length > 0 && picked[picked.length - 1]?.trim() === '') picked.pop();
  let text = picked.join('\n');
  if (text.length > MAX_CHANGELOG_CHARS)
    text = `${text.slice(0, MAX_CHANGELOG_CHARS)}\n\n(changelog truncated)`;
  return { text, start: newHeading ? 'new-tag-heading' : 'top', end: stop ? 'old-tag-heading' : 'end' };
}

/** ATX and setext headings outside fenced code blocks. */
export function findHeadings(lines: readonly string[]): Heading[] {
  const headings: Heading[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch?.[1]) {
      const marker = fenceMatch[1];
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?[ \t#]*$/.exec(line);
    if (atx) {
      headings.push({ line: i, text: atx[1] ?? '' });
      continue;
    }
    const next = lines[i + 1];
    if (next !== undefined && /^ {0,3}(?:=+|-+)[ \t]*$/.test(next) && isParagraphLine(line)) {
      headings.push({ line: i, text: line.trim() });
      i += 1;
    }
  }
  return headings;
}

/** A line that can be the text of a setext heading (not blank, not a list item, quote or rule). */
function isParagraphLine(line: string): boolean {
  if (line.trim() === '' || /^ {4}/.test(line)) return false;
  return !/^ {0,3}(?:[-*+][ \t]|\d+[.)][ \t]|>|(?:[-*_][ \t]*){3,}$)/.test(line);
}

const stripV = (tag: string) => tag.replace(/^[vV](?=\d)/, '');
const sameVersion = (a: string, b: string) => stripV(a) === stripV(b);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * True when the heading text names `tag` as a whole version: not preceded by a letter, digit or
 * version punctuation (a `v` right before is allowed) and not followed by more version
 * (`1.2` does not match `1.2.0`, `1.2-rc1`, `1.20`).
 */
export function namesTag(headingText: string, tag: string): boolean {
  const version = stripV(tag);
  if (version === '') return false;
  const pattern = new RegExp(`(?<![\\w.+-])[vV]?${escapeRegExp(version)}(?![\\w+-]|\\.[\\w])`);
  return pattern.test(headingText);
}
