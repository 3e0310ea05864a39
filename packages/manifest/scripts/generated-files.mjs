// Writes (or with --check, compares) the files generated from the stow.yaml schema in dist/:
// the JSON Schema for editors and the reference in docs/. CI runs --check, so neither can drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stowManifestJsonSchema, stowYamlReference } from '../dist/index.js';

const schema = stowManifestJsonSchema();
const generated = [
  ['../schema/stow.schema.json', `${JSON.stringify(schema, null, 2)}\n`],
  ['../../../docs/stow-yaml-reference.md', stowYamlReference(schema)],
];

let stale = false;
for (const [relative, fresh] of generated) {
  const target = fileURLToPath(new URL(relative, import.meta.url));
  if (!process.argv.includes('--check')) {
    writeFileSync(target, fresh);
    console.log(`wrote ${target}`);
    continue;
  }
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {}
  if (committed === fresh) {
    console.log(`${target} is up to date`);
  } else {
    console.error(`${target} is stale: run 'pnpm --filter @stow/manifest run generate' and commit it`);
    stale = true;
  }
}
if (stale) process.exit(1);
