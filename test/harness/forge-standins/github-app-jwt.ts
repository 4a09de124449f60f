import { createPublicKey, verify } from 'node:crypto';

/** GitHub refuses an App JWT that expires more than ten minutes after it was issued. */
const MAX_LIFETIME_S = 600;
/** Clock skew GitHub tolerates, and octokit's own back-dating of `iat`. */
const SKEW_S = 60;

const part = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));

/**
 * Why `token` is not a JWT GitHub would take from the App `appId` signed
 * with the key whose public half is `publicKeyPem`; undefined when it is:
 * RS256, a valid signature, `iss` the App id, and `iat`/`exp` within
 * GitHub's ten-minute window of now.
 */
export function jwtProblem(
  token: string,
  appId: number,
  publicKeyPem: string,
  nowS: number,
): string | undefined {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return 'not a JWT';
  let claims: { alg?: unknown; iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    claims = { ...(part(header) as object), ...(part(payload) as object) };
  } catch {
    return 'a JWT part is not base64url JSON';
  }
  if (claims.alg !== 'RS256') return `alg ${String(claims.alg)}, not RS256`;
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${payload}`),
    createPublicKey(publicKeyPem),
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return 'the signature does not verify against the App key';
  if (String(claims.iss) !== String(appId)) return `iss ${String(claims.iss)} is not App ${appId}`;
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number')
    return 'iat or exp is missing';
  if (claims.iat > nowS + SKEW_S) return 'iat is in the future';
  if (claims.exp <= nowS) return 'the JWT has expired';
  if (claims.exp - claims.iat > MAX_LIFETIME_S + SKEW_S)
    return 'exp is more than ten minutes after iat';
  return undefined;
}
