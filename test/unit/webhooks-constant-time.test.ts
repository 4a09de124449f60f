import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHeaders, verifyGithub, verifyGitlab } from '../../shared/webhooks/index.ts';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

describe('constant-time comparisons', () => {
  afterEach(() => timingSafeEqual.mockClear());

  it.each([
    ['a shorter token', 'short'],
    ['a longer token', 'a-much-longer-token-than-the-configured-secret'],
    ['a token sharing a prefix', 'shared-secret-but-wrong'],
    ['an empty token', ''],
  ])('GitLab compares %s through timingSafeEqual on equal-length digests', (_, token) => {
    expect(
      verifyGitlab(toHeaders({ 'x-gitlab-token': token }), Buffer.alloc(0), 'shared-secret'),
    ).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0]!;
    expect((a as Buffer).length).toBe(32);
    expect((b as Buffer).length).toBe(32);
  });

  it('GitLab accepts the right token through the same path', () => {
    expect(
      verifyGitlab(
        toHeaders({ 'x-gitlab-token': 'shared-secret' }),
        Buffer.alloc(0),
        'shared-secret',
      ),
    ).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });

  it('HMAC signatures are compared with timingSafeEqual, never ===', () => {
    const body = Buffer.from('{"ref":"refs/heads/main"}');
    const wrong = `sha256=${'ab'.repeat(32)}`;
    expect(verifyGithub(toHeaders({ 'x-hub-signature-256': wrong }), body, 's')).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  });
});
