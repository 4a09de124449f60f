import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.0 operation a stand-in checks requests (and its own answers) against. */
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: object;
}

export interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: object }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  literals: number;
  operation: Operation;
}

export interface Matched {
  operation: Operation;
  template: string;
  /** Path and query parameters, coerced to the types the description gives them. */
  params: Record<string, unknown>;
  /** The parsed JSON body, when there is one. */
  body: unknown;
  /** What is wrong with the request; empty when the description allows it. */
  problems: string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** A path template as a pattern: `{name}` is one segment, or several where GitHub marks it `x-multi-segment`. */
function routeOf(method: string, template: string, operation: Operation): Route {
  const multi = new Set(
    (operation.parameters ?? [])
      .filter((p) => (p as { 'x-multi-segment'?: boolean })['x-multi-segment'])
      .map((p) => p.name),
  );
  const names: string[] = [];
  const source = template
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{([^}]+)\}/g, (_, name: string) => {
      names.push(name);
      return multi.has(name) ? '(.+)' : '([^/]+)';
    });
  const literals = template.split('/').filter((s) => s && !s.startsWith('{')).length;
  return { method, template, pattern: new RegExp(`^${source}$`), names, literals, operation };
}

/** Formats GitHub's description uses that say nothing a string or number check would not. */
const ANNOTATION_FORMATS = [
  'int32',
  'int64',
  'double',
  'timestamp',
  'repo.nwo',
  'binary',
  'uri-template',
];

function newAjv(coerceTypes: boolean): Ajv {
  // strict off: OpenAPI keywords (example, x-*, discriminator) are not JSON Schema ones.
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes });
  // A CommonJS module: its default export is the plugin's namespace under NodeNext.
  ajvFormats.default(ajv);
  for (const format of ANNOTATION_FORMATS) ajv.addFormat(format, true);
  return ajv;
}

/**
 * A published OpenAPI description (dereferenced, no `$ref` left): finds
 * the operation a request is, and says what about the request, or about an
 * answer to it, the description does not allow.
 */
export class OpenApiDescription {
  private readonly routes: Route[];
  private readonly params = newAjv(true);
  private readonly bodies = newAjv(false);
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor(document: { paths: Record<string, Record<string, Operation>> }) {
    this.routes = Object.entries(document.paths)
      .flatMap(([template, item]) =>
        METHODS.filter((m) => item[m]).map((m) => routeOf(m.toUpperCase(), template, item[m]!)),
      )
      // A literal segment beats a parameter: /issues/comments/{id} before /issues/{number}.
      .sort((a, b) => b.literals - a.literals);
  }

  /** The description a package ships (`@octokit/openapi/generated/api.github.com.deref.json`). */
  static fromPackage(specifier: string): OpenApiDescription {
    const file = createRequire(import.meta.url).resolve(specifier);
    return new OpenApiDescription(JSON.parse(readFileSync(file, 'utf8')));
  }

  private validator(schema: object, coerce: boolean): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = (coerce ? this.params : this.bodies).compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** One schema for an operation's path and query parameters, so ajv coerces their text to the declared types. */
  private paramValidator(operation: Operation, declared: Parameter[]): ValidateFunction {
    let validate = this.compiled.get(operation);
    if (!validate) {
      validate = this.params.compile({
        type: 'object',
        properties: Object.fromEntries(declared.map((p) => [p.name, p.schema ?? {}])),
        required: declared.filter((p) => p.required).map((p) => p.name),
      });
      this.compiled.set(operation, validate);
    }
    return validate;
  }

  private problemsOf(validate: ValidateFunction, what: string): string[] {
    return (validate.errors ?? []).map(
      (e) => `${what}${e.instancePath} ${e.message ?? 'is invalid'}`,
    );
  }

  /** The operation `method path` is, or undefined when the description has none. */
  match(
    method: string,
    path: string,
    query: URLSearchParams,
    body: string,
    contentType?: string,
  ): Matched | undefined {
    for (const route of this.routes) {
      const found = route.method === method ? route.pattern.exec(path) : null;
      if (!found) continue;
      const values = Object.fromEntries(
        route.names.map((n, i) => [n, decodeURIComponent(found[i + 1]!)]),
      );
      const matched: Matched = {
        operation: route.operation,
        template: route.template,
        params: {},
        body: undefined,
        problems: [],
      };
      this.checkParams(route.operation, values, query, matched);
      this.checkBody(route.operation, body, contentType, matched);
      return matched;
    }
    return undefined;
  }

  private checkParams(
    operation: Operation,
    path: Record<string, string>,
    query: URLSearchParams,
    matched: Matched,
  ): void {
    const declared = (operation.parameters ?? []).filter(
      (p) => p.in === 'path' || p.in === 'query',
    );
    for (const name of new Set(query.keys())) {
      if (!declared.some((p) => p.in === 'query' && p.name === name))
        matched.problems.push(`query parameter ${name} is not in the description`);
    }
    const values: Record<string, unknown> = { ...path, ...Object.fromEntries(query) };
    const validate = this.paramValidator(operation, declared);
    if (!validate(values)) matched.problems.push(...this.problemsOf(validate, 'parameters'));
    matched.params = values;
  }

  private checkBody(
    operation: Operation,
    body: string,
    contentType: string | undefined,
    matched: Matched,
  ): void {
    const json = operation.requestBody?.content['application/json'];
    if (!body) {
      if (operation.requestBody?.required) matched.problems.push('the request body is required');
      return;
    }
    if (!json?.schema) {
      matched.problems.push('the operation takes no JSON body');
      return;
    }
    if (!contentType?.startsWith('application/json'))
      matched.problems.push(`content-type ${contentType} is not application/json`);
    try {
      matched.body = JSON.parse(body);
    } catch {
      matched.problems.push('the request body is not JSON');
      return;
    }
    const validate = this.validator(json.schema, false);
    if (!validate(matched.body)) matched.problems.push(...this.problemsOf(validate, 'body'));
  }

  /** What in an answer the description does not allow (a status it does not list is not checked). */
  answerProblems(matched: Matched, status: number, body: unknown): string[] {
    const schema =
      matched.operation.responses[String(status)]?.content?.['application/json']?.schema;
    if (!schema) return [];
    const validate = this.validator(schema, false);
    return validate(body) ? [] : this.problemsOf(validate, `answer ${status}`);
  }
}
