import type {
  FastifyInstance,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  FastifyTypeProvider,
  RawServerBase,
} from 'fastify';
import type { z } from 'zod';

/** Route types inferred from zod schemas (querystring, body, response per status). */
export interface ZodTypeProvider extends FastifyTypeProvider {
  readonly validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  readonly serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** Fastify's route instance with the zod type provider, over HTTP or HTTPS. */
export type ZodApp = FastifyInstance<
  RawServerBase,
  // biome-ignore lint/suspicious/noExplicitAny: fastify's own defaults for the raw request/reply/logger
  any,
  // biome-ignore lint/suspicious/noExplicitAny: see above
  any,
  // biome-ignore lint/suspicious/noExplicitAny: see above
  any,
  ZodTypeProvider
>;

/** Validates a request part with its zod schema; the error names the part and the parameter. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const issue = result.error.issues[0];
    const where = [httpPart, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
    return { error: new Error(`${where}: ${issue?.message ?? 'invalid'}`) };
  };

/**
 * JSON responses are plain JSON.stringify: their shape is enforced at compile time through the type
 * provider (the response schemas type `reply.send`), and parsing every answer again cost a third of
 * the /status throughput (bench/daemon-http.mjs).
 */
export const jsonSerializerCompiler: FastifySerializerCompiler<z.ZodType> = () => (data) =>
  JSON.stringify(data);
