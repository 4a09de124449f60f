import { PayloadError } from './payload-error.ts';

/**
 * A case-insensitive view of request headers, whether they came from API
 * Gateway (lower-cased) or from a client that kept the provider's spelling.
 * A header Fetch cannot hold (a control character in the value, a name that
 * is not a token) is dropped: none of the headers read here could be valid
 * in that form, so the request then fails detection or verification.
 */
export function toHeaders(raw: Record<string, string | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    try {
      headers.append(name, value);
    } catch {
      continue;
    }
  }
  return headers;
}

// A delivery id goes into log lines, queue messages and sync history: keep it
// short and printable. It is no dedupe key (dedupe.ts keys on the body).
const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;

/** The first of `names` present, validated as a delivery id; undefined when none is usable. */
export function deliveryIdFrom(headers: Headers, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) return DELIVERY_ID.test(value) ? value : undefined;
  }
  return undefined;
}

export function requireDeliveryId(headers: Headers, names: readonly string[]): string {
  const id = deliveryIdFrom(headers, names);
  if (id === undefined) {
    throw new PayloadError([
      `missing or malformed delivery id header (${names.join(' or ')}): expected 1-200 printable characters`,
    ]);
  }
  return id;
}
