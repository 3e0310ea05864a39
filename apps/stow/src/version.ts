import { createRequire } from 'node:module';

/** stow's version, from this package's manifest (inlined when the CLI is bundled). */
export const STOW_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
