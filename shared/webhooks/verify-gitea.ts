import { verifySha256Hex } from './hmac.ts';

/**
 * `X-Gitea-Signature: <hex>`, no prefix. Recent Gitea also sends
 * `X-Hub-Signature-256`, but older versions do not, so this one is checked.
 */
export function verifyGitea(headers: Headers, rawBody: Buffer, secret: string): boolean {
  return verifySha256Hex(headers.get('x-gitea-signature'), '', rawBody, secret);
}
