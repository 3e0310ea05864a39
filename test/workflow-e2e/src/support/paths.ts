import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKOUT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The built CLI (`pnpm --filter @stow/cli build`). */
export const STOW_CLI = path.join(CHECKOUT, 'apps/stow/dist/cli.js');
export const MERGE_TEMPLATE = path.join(CHECKOUT, 'ci/stow-merge-gitlab-ci.yaml');
export const SUGGEST_TEMPLATE = path.join(CHECKOUT, 'ci/stow-suggest-image-gitlab-ci.yaml');

/** A directory holding a `stow` executable that runs the built CLI, for PATH. */
export function stowOnPath(): string {
  if (!existsSync(STOW_CLI)) throw new Error(`${STOW_CLI} is missing: run pnpm build (turbo) first`);
  const bin = mkdtempSync(path.join(tmpdir(), 'stow-bin-'));
  writeFileSync(path.join(bin, 'stow'), `#!/bin/sh\nexec "${process.execPath}" "${STOW_CLI}" "$@"\n`);
  chmodSync(path.join(bin, 'stow'), 0o755);
  return bin;
}
