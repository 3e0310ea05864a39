import { describe, expect, it } from 'vitest';
import { badgeMarkdown, renderDescription, renderTitle } from './render.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const SHA = 'c'.repeat(40);

describe('renderTitle', () => {
  it.each([
    [`r/web:20260428.0@${D1}`, `r/web:20260429.1@${D2}`, 'web: 20260428.0 -> 20260429.1'],
    [`r/web:1@${D1}`, `r/web:1@${D2}`, 'web: 1 (sha256:222222222222)'],
    [`r/web@${D1}`, `r/web:2@${D2}`, 'web: 2 (sha256:222222222222)'],
    [`r/web:1@${D1}`, `r/web@${D2}`, 'web: (sha256:222222222222)'],
  ])('%s -> %s', (oldImage, newImage, want) => {
    expect(renderTitle('web', oldImage, newImage, D2)).toBe(want);
  });
});

describe('badgeMarkdown', () => {
  it.each(['https://h.example:17403', 'https://h.example:17403/', 'https://h.example:17403///'])(
    'normalises the trailing slash of %s',
    (base) => {
      expect(badgeMarkdown(base, SHA)).toBe(
        `[![stow](https://h.example:17403/gitlab.svg?git_hash=${SHA})](https://h.example:17403/status?head_hash=${SHA})`,
      );
    },
  );
});

describe('renderDescription', () => {
  const input = {
    container: 'web',
    subfolder: 'host-a',
    oldImage: `r/web:1@${D1}`,
    newImage: `r/web:2@${D2}`,
    digest: D2,
    suggestSha: SHA,
  };
  it('shows old -> new, the digest, the badge and the changelog', () => {
    const text = renderDescription({
      ...input,
      daemonBaseUrl: 'https://h:1/',
      changelog: '## 2\n- x',
      changelogFile: 'CHANGELOG.md',
    });
    expect(text).toContain(`| old | \`r/web:1@${D1}\` |\n| new | \`r/web:2@${D2}\` |`);
    expect(text).toContain(`Digest: \`${D2}\``);
    expect(text).toContain(
      `Convergence on the host: [![stow](https://h:1/gitlab.svg?git_hash=${SHA})](https://h:1/status?head_hash=${SHA})`,
    );
    expect(text).toContain('### Changelog (CHANGELOG.md)\n\n## 2\n- x\n');
  });
  it('has no badge without daemonBaseUrl, no changelog section without one, and is deterministic', () => {
    const text = renderDescription(input);
    expect(text).not.toMatch(/gitlab\.svg|Changelog/);
    expect(renderDescription(input)).toBe(text);
  });
});
