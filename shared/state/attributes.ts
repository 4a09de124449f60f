import * as z from 'zod';

/**
 * Zod schemas over raw DynamoDB attribute values. Items are read with the
 * low-level client and validated here directly, so no marshalling library
 * stands between the table and the types. Nested data is stored as JSON text
 * in one string attribute and validated after parsing.
 */
export const stringAttr = z.object({ S: z.string() }).transform((v) => v.S);

export const numberAttr = z
  .object({ N: z.string() })
  .transform((v) => Number(v.N))
  .pipe(z.number().finite());

export const binaryAttr = z.object({ B: z.instanceof(Uint8Array) }).transform((v) => v.B);

export function jsonAttr<T extends z.ZodType>(schema: T) {
  return z
    .object({ S: z.string() })
    .transform((v, ctx) => {
      try {
        return JSON.parse(v.S) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
