// `pnpm build` ends here: the single-file stow built in apps/stow is placed at dist/stow.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
copyFileSync(new URL('../apps/stow/dist/stow', import.meta.url), new URL('../dist/stow', import.meta.url));
console.log('dist/stow: the single-file stow executable');
