import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root: the nearest ancestor holding pnpm-workspace.yaml. */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the checkout root (pnpm-workspace.yaml)');
    dir = up;
  }
  return dir;
}

/** `<checkout>/../shared/fixtures/sops` (STOW_SHARED_DIR overrides `<checkout>/../shared`). */
export const SOPS_FIXTURES = resolve(
  process.env.STOW_SHARED_DIR ?? join(checkoutRoot(), '..', 'shared'),
  'fixtures',
  'sops',
);
