// Writes (or with --check, compares) schema/stow.schema.json from the zod schema in dist/.
// CI runs --check so the committed schema can never drift from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stowManifestJsonSchema } from '../dist/index.js';

const target = fileURLToPath(new URL('../schema/stow.schema.json', import.meta.url));
const fresh = `${JSON.stringify(stowManifestJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {}
  if (committed !== fresh) {
    console.error(`${target} is stale: run 'pnpm --filter @stow/manifest run schema:write' and commit it`);
    process.exit(1);
  }
  console.log('stow.schema.json is up to date');
} else {
  writeFileSync(target, fresh);
  console.log(`wrote ${target}`);
}
