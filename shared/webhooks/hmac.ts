import { createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Checks `<prefix><hex HMAC-SHA256 of the raw body>` in constant time. The
 * format check before the comparison depends only on the header, never on
 * the secret, so it leaks nothing an attacker did not send.
 */
export function verifySha256Hex(
  signature: string | null,
  prefix: string,
  rawBody: Buffer,
  secret: string,
): boolean {
  if (signature === null || secret === '' || !signature.startsWith(prefix)) return false;
  const hex = signature.slice(prefix.length);
  if (!SHA256_HEX.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}
