// Builds stow as ONE executable file: the CLI bundled by esbuild into a single CommonJS script, made
// a Node single executable application (SEA) with postject. The result runs with no node_modules and
// no Node installed: `install -o root -g root -m 0755 stow /usr/local/bin/stow` is the whole install.
// Output: apps/stow/dist/stow (turbo caches it); the root `pnpm build` copies it to dist/stow.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.resolve(here, '..');
const work = path.join(app, 'dist', 'sea');
const output = path.join(app, 'dist', 'stow');
const { version } = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

/**
 * ssh2 (under dockerode) tries optional native speed-ups (cpu-features, sshcrypto.node) inside
 * try/catch and falls back to JavaScript. A single executable cannot load files from disk, so those
 * modules become stubs that throw, and the fallbacks are used from the start.
 */
const withoutNativeAddons = {
  name: 'without-native-addons',
  setup(builder) {
    builder.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({
      path: args.path,
      namespace: 'native-stub',
    }));
    builder.onLoad({ filter: /.*/, namespace: 'native-stub' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the stow executable`)});`,
      loader: 'js',
    }));
  },
};

/**
 * docker-modem (under dockerode) loads ssh2 at start for `ssh://` Docker hosts, which stow never
 * uses: daemon.yaml's dockerHost is unix:// or tcp:// (reconciler's context-from-config). ssh2 costs
 * the daemon megabytes of memory when loaded (its parsers, and a 16 MiB WebAssembly memory for
 * Poly1305); in the executable it is a stub whose client refuses, naming why.
 */
const withoutSsh = {
  name: 'without-ssh',
  setup(builder) {
    builder.onResolve({ filter: /^ssh2$/ }, (args) => ({ path: args.path, namespace: 'ssh-stub' }));
    builder.onLoad({ filter: /.*/, namespace: 'ssh-stub' }, () => ({
      contents: `exports.Client = class Client {
  constructor() { throw new Error('ssh:// Docker hosts are not supported by stow (dockerHost: unix:// or tcp://)'); }
};`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [path.join(app, 'src', 'cli.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: path.join(work, 'stow.cjs'),
  plugins: [withoutNativeAddons, withoutSsh],
  define: { STOW_BUILD_VERSION: JSON.stringify(version), 'import.meta.url': '__stowImportMetaUrl' },
  // In a single executable, __filename is the executable itself.
  inject: [path.join(here, 'import-meta-url.js')],
  legalComments: 'none',
  // Start-up and memory: the executable compiles the whole bundle (with the code cache below) and
  // keeps its source as one string in the heap, so a smaller source starts faster and holds less:
  // whitespace-only minifying took `--version` from about 1.5x to 1.3x of `node -e 0`; full minifying
  // (4.9 MB -> 3.5 MB) took the idle daemon 2 to 4 MiB lower (docs/benchmarks.md, "daemon-memory").
  // keepNames: functions and classes keep their names (STOW_DEBUG stacks name the functions; some
  // libraries read function names); local variables and class bindings are shortened.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  banner: {
    js: '/* stow single executable: bundled with esbuild; see the licences of the bundled packages in node_modules */',
  },
});

/*
 * Start-up (docs/benchmarks.md, "startup"): the code cache is V8's compiled top level of the bundle,
 * made at build time; without it every start re-parses the 5 MB bundle (`--version` 2.2x instead of
 * 1.3x of `node -e 0`). What is not needed at start is not run: every package a command uses is
 * reached through `await import()` (commands/index.ts, and inside each command's run), which esbuild
 * turns into lazily initialised module wrappers in this one file.
 * useSnapshot works with this bundle on Node 20 but gained nothing measurable over the code cache
 * (both within noise of each other), while freezing module state at build time; so it is not used.
 */
writeFileSync(
  path.join(work, 'sea-config.json'),
  JSON.stringify({
    main: 'stow.cjs',
    output: 'stow.blob',
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], {
  cwd: work,
  stdio: ['ignore', 'ignore', 'inherit'],
});

rmSync(output, { force: true });
copyFileSync(process.execPath, output);
chmodSync(output, 0o755);
const postject = path.join(app, 'node_modules', '.bin', 'postject');
try {
  // postject's ELF library prints harmless section-name warnings: show its output only on failure.
  execFileSync(
    postject,
    [
      output,
      'NODE_SEA_BLOB',
      path.join(work, 'stow.blob'),
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
} catch (error) {
  process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
  throw error;
}
rmSync(work, { recursive: true, force: true });
console.log(`built ${path.relative(process.cwd(), output)} (stow ${version})`);
