import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const repoRoot = new URL('../../../', import.meta.url).pathname;

/** The built CLI as a real process: exit codes and streams as a pipeline sees them. */
async function stow(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the built stow executable', () => {
  it('hashes and validates the example deployment', async () => {
    const hashed = await stow('hash', '--json', 'examples/deploy-host.example.com');
    expect(hashed.code).toBe(0);
    expect(JSON.parse(hashed.stdout).deployment_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await stow('validate', 'examples/deploy-host.example.com/stow.yaml')).toEqual({
      code: 0,
      stdout: 'examples/deploy-host.example.com/stow.yaml: valid stow.yaml\n',
      stderr: '',
    });
  });

  it('exits 2 on bad input', async () => {
    expect((await stow('validate', 'README.md')).code).toBe(2);
    expect((await stow('nonsense')).code).toBe(2);
  });
});
