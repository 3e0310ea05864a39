/**
 * The stow.yaml reference (docs/stow-yaml-reference.md), generated from the JSON Schema so that the
 * documentation can never disagree with what `stow validate` accepts.
 */
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  required?: string[];
  default?: unknown;
  description?: string;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  not?: JsonSchema;
};

interface Row {
  key: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

export function stowYamlReference(schema: JsonSchema): string {
  const rows: Row[] = [];
  walk(schema, '', rows);
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = rows.map(
    (row) =>
      `| \`${row.key}\` | ${cell(row.type)} | ${row.required ? 'yes' : ''} | ${row.default === undefined ? '' : `\`${JSON.stringify(row.default)}\``} | ${cell(row.description)} |`,
  );
  return `# stow.yaml reference

Generated from the schema by \`pnpm --filter @stow/manifest run generate\`; a test fails
when it is stale. \`<name>\` stands for a key you choose (a container or network name).
Unknown keys are errors. Editors can validate with
\`# yaml-language-server: $schema=<path>/packages/manifest/schema/stow.schema.json\`.

| key | type | required | default | meaning |
| --- | --- | --- | --- | --- |
${lines.join('\n')}
`;
}

function walk(schema: JsonSchema, prefix: string, rows: Row[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const node = unwrapNullable(child);
    rows.push({
      key: path,
      type: typeOf(node),
      required: (schema.required ?? []).includes(key),
      default: child.default,
      description: child.description ?? node.description ?? '',
    });
    descend(node, path, rows);
  }
}

function descend(node: JsonSchema, path: string, rows: Row[]): void {
  if (node.properties) walk(node, path, rows);
  if (typeof node.additionalProperties === 'object') {
    const value = unwrapNullable(node.additionalProperties);
    if (value.properties) walk(value, `${path}.<name>`, rows);
  }
  if (node.items) {
    const item = unwrapNullable(node.items);
    if (item.properties) walk(item, `${path}[]`, rows);
  }
}

function unwrapNullable(schema: JsonSchema): JsonSchema {
  const options = schema.anyOf?.filter((option) => option.type !== 'null');
  return options?.length === 1 && options[0]
    ? { ...options[0], description: schema.description ?? options[0].description }
    : schema;
}

function typeOf(schema: JsonSchema): string {
  // `not: {}` matches nothing: a key that is refused (a job's ports, restart, healthcheck).
  if (schema.not && Object.keys(schema.not).length === 0) return 'not allowed';
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(', ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object') {
    if (schema.properties) return 'mapping';
    if (typeof schema.additionalProperties === 'object')
      return `mapping of <name> to ${typeOf(unwrapNullable(schema.additionalProperties))}`;
    return 'mapping';
  }
  if (schema.type === 'integer') return 'integer';
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
}
