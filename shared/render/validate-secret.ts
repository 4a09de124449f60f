/**
 * A Secret's `data` and `stringData` checked here, before any request: the
 * API server's own errors about them can quote the value. Problems name the
 * field path and what is wrong, never the value.
 */
// Go's decoder, which the API server uses, skips line breaks.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// The API server's rule for Secret and ConfigMap keys.
const KEY = /^[-._a-zA-Z0-9]+$/;

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a sequence';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

function fieldProblems(field: 'data' | 'stringData', values: unknown): string[] {
  if (values === undefined || values === null) return [];
  if (typeof values !== 'object' || Array.isArray(values))
    return [`${field} must be a mapping of keys to strings, not ${kindOf(values)}`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const path = `${field}[${JSON.stringify(key)}]`;
    if (key.length > 253 || !KEY.test(key))
      problems.push(`${path}: a key must be letters, digits, "-", "_" or "." (at most 253)`);
    if (typeof value !== 'string') {
      problems.push(`${path} must be a string, not ${kindOf(value)} (quote it in YAML)`);
    } else if (field === 'data' && !BASE64.test(value.replace(/[\r\n]/g, ''))) {
      problems.push(`${path} is not valid base64 (put plain text under stringData instead)`);
    }
  }
  return problems;
}

export function secretProblems(secret: Record<string, unknown>): string[] {
  return [...fieldProblems('data', secret.data), ...fieldProblems('stringData', secret.stringData)];
}
