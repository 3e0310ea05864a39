import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stowManifestJsonSchema } from './json-schema.js';
import { stowYamlReference } from './reference-doc.js';

describe('the committed JSON Schema of stow.yaml', () => {
  it('is what the zod schema generates (run `pnpm --filter @stow/manifest run generate` after a change)', () => {
    const committed = readFileSync(new URL('../schema/stow.schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(committed)).toEqual(stowManifestJsonSchema());
  });

  it('forbids unknown keys for editors too', () => {
    const schema = stowManifestJsonSchema() as { additionalProperties?: boolean; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['deployment', 'containers']);
  });
});

describe('docs/stow-yaml-reference.md', () => {
  it('is what the schema generates (run `pnpm --filter @stow/manifest run generate` after a change)', () => {
    const committed = readFileSync(new URL('../../../docs/stow-yaml-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(stowYamlReference(stowManifestJsonSchema()));
  });

  it('documents every container key the schema accepts', () => {
    const reference = stowYamlReference(stowManifestJsonSchema());
    for (const key of ['image', 'envFiles', 'mounts[].source', 'healthcheck.startPeriod', 'stopSignal']) {
      expect(reference).toContain(`\`containers.<name>.${key}\``);
    }
  });
});
