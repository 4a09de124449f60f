import { verifySha256Hex } from './hmac.ts';

/** `X-Hub-Signature-256: sha256=<hex>`; the legacy SHA-1 `X-Hub-Signature` is not accepted. */
export function verifyGithub(headers: Headers, rawBody: Buffer, secret: string): boolean {
  return verifySha256Hex(headers.get('x-hub-signature-256'), 'sha256=', rawBody, secret);
}
