import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * GitLab sends the shared secret itself in `X-Gitlab-Token` and signs
 * nothing. Both sides are hashed first so the comparison always runs on two
 * 32-byte buffers: its time says nothing about the secret's length or prefix.
 */
export function verifyGitlab(headers: Headers, _rawBody: Buffer, secret: string): boolean {
  const token = headers.get('x-gitlab-token');
  if (token === null || secret === '') return false;
  return timingSafeEqual(digest(token), digest(secret));
}
