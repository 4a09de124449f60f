import { PayloadError } from './payload-error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON document a verified body carries. GitHub and Gitea can also be set
 * to post `application/x-www-form-urlencoded` with the JSON in a `payload`
 * field (GitHub's form even defaults to it); the signature covers the encoded
 * form, so decoding happens here, after verification.
 */
export function decodeBody(headers: Headers, rawBody: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw new PayloadError(['body is not UTF-8']);
  }
  const contentType = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new PayloadError(['form body has no "payload" field']);
    text = payload;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PayloadError([`body is not JSON: ${(err as Error).message}`]);
  }
}
