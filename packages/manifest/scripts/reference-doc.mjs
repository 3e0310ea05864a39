// Writes (or with --check, compares) docs/stow-yaml-reference.md from the schema in dist/.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stowManifestJsonSchema, stowYamlReference } from '../dist/index.js';

const target = fileURLToPath(new URL('../../../docs/stow-yaml-reference.md', import.meta.url));
const fresh = stowYamlReference(stowManifestJsonSchema());
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {}
  if (committed !== fresh) {
    console.error(`${target} is stale: run 'pnpm --filter @stow/manifest run reference:write' and commit it`);
    process.exit(1);
  }
  console.log('stow-yaml-reference.md is up to date');
} else {
  writeFileSync(target, fresh);
  console.log(`wrote ${target}`);
}
