import { createRequire } from 'node:module';

// Set by the single-executable build (esbuild define); the workspace build reads package.json.
declare const STOW_BUILD_VERSION: string | undefined;

/** stow's version. */
export const STOW_VERSION: string =
  typeof STOW_BUILD_VERSION === 'string'
    ? STOW_BUILD_VERSION
    : (createRequire(import.meta.url)('../package.json') as { version: string }).version;
