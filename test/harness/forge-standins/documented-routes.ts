import type * as z from 'zod';
import type { Reply, StandinRequest } from './standin-server.ts';

/**
 * One endpoint of a forge whose published API description is not on this
 * machine, written from its documentation: the path template, and zod
 * schemas of the path parameters, query and JSON body it takes. Strict
 * object schemas make an undocumented query parameter or body field a
 * violation, as a misspelt one would be.
 */
export interface DocumentedRoute<Params = unknown, Query = unknown, Body = unknown> {
  method: string;
  /** `/api/v4/projects/:id/statuses/:sha`; each `:name` is one (decoded) segment. */
  path: string;
  params: z.ZodType<Params>;
  query: z.ZodType<Query>;
  body?: z.ZodType<Body>;
  handle(input: {
    params: Params;
    query: Query;
    body: Body;
    request: StandinRequest;
    /** For what the forge would allow but the client must never do (edit someone else's comment). */
    violation(message: string): void;
  }): Reply;
}

/** Keeps each route's own types while the table holds them all. */
export const route = <P, Q, B>(r: DocumentedRoute<P, Q, B>): DocumentedRoute =>
  r as unknown as DocumentedRoute;

function paramsOf(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    if (part.startsWith(':')) params[part.slice(1)] = segments[i]!;
    else if (part !== segments[i]) return undefined;
  }
  return params;
}

const issuesOf = (what: string, error: z.ZodError) =>
  error.issues.map(
    (i) => `${what}${i.path.length > 0 ? `.${i.path.join('.')}` : ''}: ${i.message}`,
  );

export interface Refusal {
  /** The forge's own error shape for a status and message. */
  error(status: number, message: string): Reply;
  violation(message: string): void;
}

/**
 * The reply of the route `request` is, once its parameters, query and body
 * passed their schemas; an unknown route or an invalid request is
 * answered as the forge would (404, 400) and recorded as a violation.
 */
export function serveDocumented(
  routes: DocumentedRoute[],
  request: StandinRequest,
  refusal: Refusal,
): Reply {
  const refuse = (status: number, problems: string[]) => {
    refusal.violation(`${request.method} ${request.path}: ${problems.join('; ')}`);
    return refusal.error(status, problems.join('; '));
  };
  for (const r of routes) {
    const raw = r.method === request.method ? paramsOf(r.path, request.segments) : undefined;
    if (!raw) continue;
    const params = r.params.safeParse(raw);
    const query = r.query.safeParse(Object.fromEntries(request.query));
    const body = r.body ? parsedBody(r.body, request) : { success: true as const, data: undefined };
    const problems = [
      ...(params.success ? [] : issuesOf('path', params.error)),
      ...(query.success ? [] : issuesOf('query', query.error)),
      ...(body.success ? [] : body.problems),
      ...(!r.body && request.body ? ['the endpoint takes no body'] : []),
    ];
    if (problems.length > 0 || !params.success || !query.success || !body.success)
      return refuse(400, problems);
    const violation = (message: string) =>
      refusal.violation(`${request.method} ${request.path}: ${message}`);
    return r.handle({
      params: params.data,
      query: query.data,
      body: body.data,
      request,
      violation,
    });
  }
  return refuse(404, ['no such endpoint in the documentation this stand-in follows']);
}

function parsedBody(schema: z.ZodType, request: StandinRequest) {
  if (!request.headers['content-type']?.startsWith('application/json')) {
    return {
      success: false as const,
      problems: [`content-type ${request.headers['content-type']} is not application/json`],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    return { success: false as const, problems: ['the body is not JSON'] };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { success: true as const, data: parsed.data }
    : { success: false as const, problems: issuesOf('body', parsed.error) };
}
