import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eksToken } from '../../shared/kube/eks-token.ts';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const signingDate = new Date('2026-11-26T12:00:00Z');

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** SigV4 for a presigned GET, computed here from the spec, independently of the signer under test. */
function expectedSignature(url: URL, headers: Record<string, string>): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const enc = (s: string) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  const canonicalQuery = params
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = `${date.slice(0, 8)}/us-west-2/sts/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const key = ['us-west-2', 'sts', 'aws4_request'].reduce<Buffer>(
    (k, part) => hmac(k, part),
    hmac(`AWS4${credentials.secretAccessKey}`, date.slice(0, 8)),
  );
  return hmac(key, toSign).toString('hex');
}

describe('EKS token (signed locally, no AWS call)', () => {
  it('is a base64url presigned STS GetCallerIdentity URL that signs x-k8s-aws-id', async () => {
    const { token, expiresAt } = await eksToken({
      clusterName: 'prod-eu',
      region: 'us-west-2',
      credentials,
      signingDate,
    });
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const encoded = token.slice('k8s-aws-v1.'.length);
    expect(encoded).not.toMatch(/[=+/]/);
    const url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.us-west-2.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = Object.fromEntries(url.searchParams.entries());
    expect(q).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261126/us-west-2/sts/aws4_request',
      'X-Amz-Date': '20261126T120000Z',
      'X-Amz-Expires': '60',
    });
    expect(q['X-Amz-SignedHeaders']!.split(';')).toEqual(['host', 'x-k8s-aws-id']);
    expect(q['X-Amz-Signature']).toBe(
      expectedSignature(url, { host: 'sts.us-west-2.amazonaws.com', 'x-k8s-aws-id': 'prod-eu' }),
    );
    expect(expiresAt.toISOString()).toBe('2026-11-26T12:15:00.000Z');
  });

  it('binds the token to the cluster name: another cluster gets another signature', async () => {
    const a = await eksToken({ clusterName: 'a', region: 'us-west-2', credentials, signingDate });
    const b = await eksToken({ clusterName: 'b', region: 'us-west-2', credentials, signingDate });
    expect(a.token).not.toBe(b.token);
  });

  it('carries the session token of temporary credentials', async () => {
    const { token } = await eksToken({
      clusterName: 'x',
      region: 'eu-west-1',
      credentials: { ...credentials, sessionToken: 'FQoGZXIvYXdzEXAMPLE' },
      signingDate,
    });
    const url = new URL(Buffer.from(token.slice(11), 'base64url').toString('utf8'));
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FQoGZXIvYXdzEXAMPLE');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
  });
});
