import { describe, expect, it } from 'vitest';
import {
  detectProvider,
  toHeaders,
  verifyBitbucket,
  verifyGitea,
  verifyGithub,
  verifyGitlab,
  type Provider,
} from '../../shared/webhooks/index.ts';
import { fixture, hmacHex, providerRequest, SECRETS } from '../fixtures/webhooks/requests.ts';

const verifiers = {
  github: verifyGithub,
  gitlab: verifyGitlab,
  bitbucket: verifyBitbucket,
  gitea: verifyGitea,
} as const;

const payloads: Record<Provider, string> = {
  github: 'github-push',
  gitlab: 'gitlab-push',
  bitbucket: 'bitbucket-push',
  gitea: 'gitea-push',
};

/** The header each provider authenticates with. */
const signatureHeader: Record<Provider, string> = {
  github: 'X-Hub-Signature-256',
  gitlab: 'X-Gitlab-Token',
  bitbucket: 'X-Hub-Signature',
  gitea: 'X-Gitea-Signature',
};

describe.each(Object.keys(verifiers) as Provider[])('verify %s', (provider) => {
  const verify = verifiers[provider];
  const secret = SECRETS[provider];
  const signed = () => providerRequest(provider, fixture(payloads[provider]));

  it('accepts the provider’s own signature', () => {
    const { headers, body } = signed();
    expect(verify(toHeaders(headers), body, secret)).toBe(true);
  });

  it('accepts it with lower-cased header names (API Gateway, node:http)', () => {
    const { headers, body } = signed();
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verify(toHeaders(lower), body, secret)).toBe(true);
  });

  it('rejects a request without the header', () => {
    const { headers, body } = signed();
    delete headers[signatureHeader[provider]];
    expect(verify(toHeaders(headers), body, secret)).toBe(false);
  });

  it('rejects a request signed with another secret', () => {
    const { headers, body } = providerRequest(provider, fixture(payloads[provider]), {
      secret: 'not-the-secret',
    });
    expect(verify(toHeaders(headers), body, secret)).toBe(false);
  });

  it('rejects when the configured secret differs', () => {
    const { headers, body } = signed();
    expect(verify(toHeaders(headers), body, `${secret}x`)).toBe(false);
  });

  it('never accepts an empty configured secret', () => {
    const { headers, body } = providerRequest(provider, fixture(payloads[provider]), {
      secret: '',
    });
    expect(verify(toHeaders(headers), body, '')).toBe(false);
  });

  it.each(['', 'garbage', 'sha256=', 'sha1=abc', 'sha256=zz', '\u00e9\u00e9'])(
    'rejects a malformed header %j without throwing',
    (value) => {
      const { headers, body } = signed();
      headers[signatureHeader[provider]] = value;
      expect(verify(toHeaders(headers), body, secret)).toBe(false);
    },
  );
});

describe.each(['github', 'bitbucket', 'gitea'] as const)(
  '%s HMAC over the raw body',
  (provider) => {
    const verify = verifiers[provider];
    const secret = SECRETS[provider];

    it('rejects a body altered after signing, even by one byte', () => {
      const { headers, body } = providerRequest(provider, fixture(payloads[provider]));
      const altered = Buffer.from(body);
      const at = altered.length - 2;
      altered.writeUInt8(altered.readUInt8(at) ^ 0x01, at);
      expect(verify(toHeaders(headers), altered, secret)).toBe(false);
    });

    it('rejects the same JSON re-serialized (whitespace differs)', () => {
      const { headers, body } = providerRequest(provider, fixture(payloads[provider]));
      const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
      expect(verify(toHeaders(headers), reformatted, secret)).toBe(false);
    });

    it('accepts upper-case hex and rejects a truncated digest', () => {
      const { headers, body } = providerRequest(provider, fixture(payloads[provider]));
      const name = signatureHeader[provider];
      const prefix = provider === 'gitea' ? '' : 'sha256=';
      headers[name] = `${prefix}${hmacHex(secret, body).toUpperCase()}`;
      expect(verify(toHeaders(headers), body, secret)).toBe(true);
      headers[name] = `${prefix}${hmacHex(secret, body).slice(0, 62)}`;
      expect(verify(toHeaders(headers), body, secret)).toBe(false);
    });
  },
);

describe('provider-specific signature formats', () => {
  it('GitHub refuses a Gitea-style bare digest, Gitea refuses a prefixed one', () => {
    const body = Buffer.from('{}');
    const hex = hmacHex('s', body);
    expect(verifyGithub(toHeaders({ 'x-hub-signature-256': hex }), body, 's')).toBe(false);
    expect(verifyGitea(toHeaders({ 'x-gitea-signature': `sha256=${hex}` }), body, 's')).toBe(false);
  });

  it('GitHub ignores the legacy SHA-1 X-Hub-Signature', () => {
    const body = Buffer.from('{}');
    const headers = toHeaders({ 'X-Hub-Signature': `sha256=${hmacHex('s', body)}` });
    expect(verifyGithub(headers, body, 's')).toBe(false);
  });

  it('GitLab compares the token, not a signature: any body passes with the right token', () => {
    const headers = toHeaders({ 'X-Gitlab-Token': SECRETS.gitlab });
    expect(verifyGitlab(headers, Buffer.from('anything'), SECRETS.gitlab)).toBe(true);
    expect(verifyGitlab(headers, Buffer.from('anything'), `${SECRETS.gitlab} `)).toBe(false);
    expect(verifyGitlab(headers, Buffer.from('anything'), SECRETS.gitlab.slice(0, -1))).toBe(false);
  });
});

describe('detectProvider', () => {
  it.each([
    ['github', 'github'],
    ['gitlab', 'gitlab'],
    ['bitbucket', 'bitbucket'],
    ['gitea', 'gitea'],
  ] as const)('recognizes a real %s request', (provider, expected) => {
    const { headers } = providerRequest(provider, {});
    expect(detectProvider(toHeaders(headers))).toBe(expected);
  });

  it('takes Gitea’s GitHub-compatible headers for Gitea, in any case', () => {
    const { headers } = providerRequest('gitea', {});
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(detectProvider(toHeaders(upper))).toBe('gitea');
  });

  it('returns undefined for a request from none of them', () => {
    expect(
      detectProvider(toHeaders({ 'content-type': 'application/json', 'x-gogs-event': 'push' })),
    ).toBeUndefined();
  });
});
