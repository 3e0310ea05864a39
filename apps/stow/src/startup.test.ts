import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// What each command loads, seen from outside: the built workspace CLI (dist/cli.js) runs in its own
// process with a loader hook recording every module it resolves. Start-up time is what pipelines
// pay per `stow hash`; these checks keep the heavy packages out of the commands that do not use them.
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const tracer = new URL('./test-support/trace-imports.mjs', import.meta.url).pathname;
const example = new URL('../../../examples/deploy-host.example.com', import.meta.url).pathname;
const scratch = mkdtempSync(path.join(tmpdir(), 'stow-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The packages that cost start-up time: Docker, GitLab, HTTP, age's curves, zod's schemas. */
const HEAVY = ['/dockerode/', '/@gitbeaker/', '/fastify/', '/undici/', '/age-encryption/', '/zod/'];

let runs = 0;
async function modulesLoadedBy(...args: string[]): Promise<string[]> {
  const trace = path.join(scratch, `trace-${++runs}.txt`);
  writeFileSync(trace, '');
  await promisify(execFile)(process.execPath, ['--import', tracer, cli, ...args], {
    env: { ...process.env, STOW_TRACE_FILE: trace },
  });
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

const heavyIn = (urls: string[]) => urls.filter((url) => HEAVY.some((name) => url.includes(name)));
const thirdParty = (urls: string[]) => urls.filter((url) => url.includes('/node_modules/'));
const commandModules = (urls: string[]) => urls.filter((url) => url.includes('/dist/commands/'));

describe('start-up of the workspace stow', () => {
  it('loads no command and no package for --version', async () => {
    const loaded = await modulesLoadedBy('--version');
    expect(loaded.some((url) => url.endsWith('/dist/main.js'))).toBe(true); // the trace works
    expect(loaded.filter((url) => url.includes('/node_modules/') || url.includes('/packages/'))).toEqual([]);
    expect(commandModules(loaded).filter((url) => !url.endsWith('/commands/index.js'))).toEqual([]);
  });

  it('loads the command modules but none of their packages for --help', async () => {
    const loaded = await modulesLoadedBy('--help');
    expect(commandModules(loaded).length).toBeGreaterThan(9);
    expect(thirdParty(loaded)).toEqual([]);
    expect(loaded.filter((url) => url.endsWith('/dist/index.js') && url.includes('/packages/'))).toEqual([]);
  });

  it('loads only its own command module for `hash --help`', async () => {
    const loaded = await modulesLoadedBy('hash', '--help');
    expect(commandModules(loaded).map((url) => path.basename(url))).toEqual(['index.js', 'hash.js']);
    expect(thirdParty(loaded)).toEqual([]);
  });

  it('hashes with the hasher and the SOPS pre-check only, not the reconciler, Docker or age', async () => {
    const loaded = await modulesLoadedBy('hash', example);
    expect(loaded.some((url) => url.includes('/content-hasher/'))).toBe(true);
    expect(loaded.some((url) => url.includes('/sops-decrypt/dist/detect.js'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
    expect(loaded.filter((url) => url.includes('/reconciler/dist/index.js'))).toEqual([]);
    // No file of the example could be a SOPS document: the YAML and SOPS parsers are never loaded.
    const parsers = loaded.filter(
      (url) =>
        url.includes('/node_modules/yaml/') || /\/sops-decrypt\/dist\/(index|formats\/yaml)\.js$/.test(url),
    );
    expect(parsers).toEqual([]);
  });

  it('loads the SOPS parsers, but not age, for a file that looks like a SOPS document', async () => {
    const folder = path.join(scratch, 'look-alike');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'stow.yaml'), 'deployment: { name: x }\ncontainers: {}\n');
    writeFileSync(path.join(folder, 'plain.yaml'), 'sops: not really\nmac: nope\n');
    const loaded = await modulesLoadedBy('hash', folder);
    expect(loaded.some((url) => url.includes('/sops-decrypt/dist/formats/yaml.js'))).toBe(true);
    expect(heavyIn(loaded)).toEqual([]);
  });
});
