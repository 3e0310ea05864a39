import { z } from 'zod';
import { stowManifestSchema } from './stow-schema.js';

/** The JSON Schema of stow.yaml as written (input side), for editors (`yaml-language-server`). */
export function stowManifestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(stowManifestSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    title: 'stow.yaml',
    description: 'A stow deployment: the containers, networks and verification of one host folder.',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
