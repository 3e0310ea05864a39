import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.js';
import { runCli } from './test-support/run-cli.js';
import { STOW_VERSION } from './version.js';

describe('stow', () => {
  it('prints its version', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `stow ${STOW_VERSION}\n`, stderr: '' });
    expect(STOW_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists every command in its help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toContain(`  ${command.name}`);
  });

  it.each(COMMANDS.map((command) => command.name))('has --help for %s', async (name) => {
    const result = await runCli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: stow ${name}`));
    expect(await runCli(['help', name])).toEqual(result);
  });

  it('refuses an unknown command with exit 2', async () => {
    const result = await runCli(['deploy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^stow: unknown command "deploy"; commands: reconcile, hash, decrypt, validate/,
    );
  });
});
