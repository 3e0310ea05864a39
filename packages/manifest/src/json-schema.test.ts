import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stowManifestJsonSchema } from './json-schema.js';

describe('the committed JSON Schema of stow.yaml', () => {
  it('is what the zod schema generates (run `pnpm --filter @stow/manifest run schema:write` after a change)', () => {
    const committed = readFileSync(new URL('../schema/stow.schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(committed)).toEqual(stowManifestJsonSchema());
  });

  it('forbids unknown keys for editors too', () => {
    const schema = stowManifestJsonSchema() as { additionalProperties?: boolean; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['deployment', 'containers']);
  });
});
