import type * as z from 'zod';
import type { ApiResponse } from './types.ts';

export function error(statusCode: number, message: string): ApiResponse {
  return { statusCode, body: { message } };
}

export function ok(body: unknown, statusCode = 200): ApiResponse {
  return { statusCode, body };
}

/** The request body validated by `schema`, or the 400 that says what is wrong with it. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  body: string | undefined,
): z.output<S> | ApiResponse {
  let json: unknown = {};
  if (body) {
    try {
      json = JSON.parse(body);
    } catch {
      return error(400, 'request body is not JSON');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return error(
      400,
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

export function isResponse(value: unknown): value is ApiResponse {
  return typeof value === 'object' && value !== null && 'statusCode' in value;
}
