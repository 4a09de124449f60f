import { verifySha256Hex } from './hmac.ts';

/** Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>`. */
export function verifyBitbucket(headers: Headers, rawBody: Buffer, secret: string): boolean {
  return verifySha256Hex(headers.get('x-hub-signature'), 'sha256=', rawBody, secret);
}
