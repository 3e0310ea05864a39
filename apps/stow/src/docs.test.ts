import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.js';
import { runCli } from './test-support/run-cli.js';

// Every `stow …` command line in the README and docs/ must name a real command with real flags:
// the docs are checked against each command's --help, so they cannot drift from the CLI.
const root = new URL('../../../', import.meta.url);
const documents = ['README.md', ...readdirSync(new URL('docs/', root)).map((name) => `docs/${name}`)].filter(
  (name) => name.endsWith('.md'),
);

interface DocumentedCommand {
  readonly file: string;
  readonly line: string;
  readonly command: string;
  readonly flags: string[];
}

/** Shell lines of fenced blocks (sh, bash, shell or none), continuation lines joined. */
function shellLines(text: string): string[] {
  const lines: string[] = [];
  let inShell: boolean | undefined;
  for (const line of text.replace(/\\\n\s*/g, ' ').split('\n')) {
    const fence = /^\s*```(\w*)/.exec(line);
    if (fence) {
      inShell = inShell === undefined ? ['', 'sh', 'bash', 'shell'].includes(fence[1] ?? '') : undefined;
      continue;
    }
    if (inShell) lines.push(line);
  }
  return lines;
}

function documentedCommands(): DocumentedCommand[] {
  const found: DocumentedCommand[] = [];
  for (const file of documents) {
    const text = readFileSync(new URL(file, root), 'utf8');
    // Inline code that is a command (starts with stow), and command lines of shell blocks.
    const spans = [...text.matchAll(/`((?:sudo |pnpm exec )?stow [^`\n]*)`/g)].map((m) => m[1] ?? '');
    for (const raw of [...shellLines(text), ...spans]) {
      const line = raw.split(' #')[0] ?? '';
      const match =
        /^\s*(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:sudo\s+)?(?:pnpm exec\s+)?stow\s+([a-z][a-z-]*|--version|--help)\b(.*)$/.exec(
          line,
        );
      if (!match?.[1]) continue;
      const [, command, rest = ''] = match;
      const flags = [...rest.matchAll(/(?:^|[\s[])(--[a-z][a-z-]*)/g)].map((m) => m[1] ?? '');
      found.push({ file, line: line.trim(), command, flags });
    }
  }
  return found;
}

describe('commands in the docs', () => {
  const commands = documentedCommands();

  it('finds the documented commands', () => {
    expect(commands.length).toBeGreaterThan(15);
  });

  it.each(commands.map((c) => [`${c.file}: ${c.line}`, c] as const))('%s', async (_title, documented) => {
    if (documented.command === '--version' || documented.command === '--help') return;
    expect(
      COMMANDS.map((c) => c.name),
      `stow ${documented.command} does not exist`,
    ).toContain(documented.command);
    const help = await runCli([documented.command, '--help']);
    expect(help.code).toBe(0);
    for (const flag of documented.flags) {
      if (flag === '--help') continue;
      expect(help.stdout, `stow ${documented.command} has no ${flag}`).toContain(flag);
    }
  });
});
