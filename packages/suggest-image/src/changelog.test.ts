import { describe, expect, it } from 'vitest';
import { changelogBetween, namesTag } from './changelog.js';

const KEEP_A_CHANGELOG = `# Changelog

All notable changes.

## [1.3.0] - 2026-04-29
### Added
- feature C

## [1.2.0] - 2026-04-28
### Fixed
- bug B

## [1.1.0] - 2026-04-01
- feature A
`;

describe('changelogBetween', () => {
  const table: Array<{
    name: string;
    md: string;
    oldTag?: string;
    newTag?: string;
    want: string;
    start?: string;
    end?: string;
  }> = [
    {
      name: 'keep-a-changelog headings, one version added',
      md: KEEP_A_CHANGELOG,
      oldTag: '1.2.0',
      newTag: '1.3.0',
      want: '## [1.3.0] - 2026-04-29\n### Added\n- feature C',
    },
    {
      name: 'two versions added',
      md: KEEP_A_CHANGELOG,
      oldTag: '1.1.0',
      newTag: '1.3.0',
      want: '## [1.3.0] - 2026-04-29\n### Added\n- feature C\n\n## [1.2.0] - 2026-04-28\n### Fixed\n- bug B',
    },
    {
      name: 'plain ## headings',
      md: '## 1.2.1\n- fix\n\n## 1.2.0\n- old\n',
      oldTag: '1.2.0',
      newTag: '1.2.1',
      want: '## 1.2.1\n- fix',
    },
    {
      name: '# v-prefixed headings, tags without v',
      md: '# v1.2.1\n- fix\n# v1.2.0\n- old\n',
      oldTag: '1.2.0',
      newTag: '1.2.1',
      want: '# v1.2.1\n- fix',
    },
    {
      name: 'v-prefixed image tags, plain headings',
      md: '## 1.2.1\n- fix\n## 1.2.0\n',
      oldTag: 'v1.2.0',
      newTag: 'v1.2.1',
      want: '## 1.2.1\n- fix',
    },
    {
      name: '### Version x (date)',
      md: '### Version 1.2.1 (2026-04-29)\n- fix\n### Version 1.2.0 (2026-04-20)\n- old\n',
      oldTag: '1.2.0',
      newTag: '1.2.1',
      want: '### Version 1.2.1 (2026-04-29)\n- fix',
    },
    {
      name: 'setext headings',
      md: 'Changelog\n=========\n\n1.2.1\n-----\n- fix\n\n1.2.0\n-----\n- old\n',
      oldTag: '1.2.0',
      newTag: '1.2.1',
      want: '1.2.1\n-----\n- fix',
    },
    {
      name: 'new tag not named: from the top',
      md: 'Unreleased\n- wip\n\n## 1.2.0\n- old\n',
      oldTag: '1.2.0',
      newTag: '1.3.0',
      want: 'Unreleased\n- wip',
      start: 'top',
    },
    {
      name: 'old tag not named: to the end',
      md: '## 1.3.0\n- new\n## 1.1.0\n- older\n',
      oldTag: '1.2.0',
      newTag: '1.3.0',
      want: '## 1.3.0\n- new\n## 1.1.0\n- older',
      end: 'end',
    },
    {
      name: 'a tag that is a prefix of another does not match (1.2 vs 1.2.0)',
      md: '## 1.2.0\n- not this\n## 1.2\n- this\n## 1.1\n- old\n',
      oldTag: '1.1',
      newTag: '1.2',
      want: '## 1.2\n- this',
    },
    {
      name: 'old tag 1.2 does not stop at 1.2.0 or 1.20',
      md: '## 1.3\n- new\n## 1.20\n- x\n## 1.2.0\n- y\n## 1.2\n- old\n',
      oldTag: '1.2',
      newTag: '1.3',
      want: '## 1.3\n- new\n## 1.20\n- x\n## 1.2.0\n- y',
    },
    {
      name: 'headings inside fenced code do not count',
      md: '## 1.3.0\n```md\n## 1.2.0\n```\n- new\n## 1.2.0\n- old\n',
      oldTag: '1.2.0',
      newTag: '1.3.0',
      want: '## 1.3.0\n```md\n## 1.2.0\n```\n- new',
    },
    {
      name: 'calendar tags of images',
      md: '## 20260429.1\n- deploy fix\n## 20260428.0\n- first\n',
      oldTag: '20260428.0',
      newTag: '20260429.1',
      want: '## 20260429.1\n- deploy fix',
    },
    {
      name: 'equal tags bring nothing',
      md: KEEP_A_CHANGELOG,
      oldTag: '1.2.0',
      newTag: '1.2.0',
      want: '',
    },
    {
      name: 'a downgrade (old heading above new) brings nothing',
      md: KEEP_A_CHANGELOG,
      oldTag: '1.3.0',
      newTag: '1.2.0',
      want: '',
    },
    {
      name: 'CRLF input',
      md: '## 1.2.1\r\n- fix\r\n## 1.2.0\r\n',
      oldTag: '1.2.0',
      newTag: '1.2.1',
      want: '## 1.2.1\n- fix',
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const got = changelogBetween(row.md, { oldTag: row.oldTag, newTag: row.newTag });
      expect(got.text).toBe(row.want);
      if (row.start) expect(got.start).toBe(row.start);
      if (row.end) expect(got.end).toBe(row.end);
    });
  }
});

describe('namesTag', () => {
  it.each([
    ['[1.2.0] - 2026-04-28', '1.2.0', true],
    ['v1.2.0', '1.2.0', true],
    ['Version 1.2.0 (date)', 'v1.2.0', true],
    ['1.2.0', '1.2', false],
    ['1.2.0-rc1', '1.2.0', false],
    ['11.2.0', '1.2.0', false],
    ['1.2.0.', '1.2.0', true],
    ['release 1.2.0, the big one', '1.2.0', true],
  ])('%s names %s: %s', (heading, tag, want) => {
    expect(namesTag(heading, tag)).toBe(want);
  });
});
