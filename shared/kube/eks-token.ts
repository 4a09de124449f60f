import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface EksTokenOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Signing time; now by default. */
  signingDate?: Date;
}

export interface EksToken {
  token: string;
  /** The API server accepts the token for 15 minutes from signing; refresh well before. */
  expiresAt: Date;
}

const TOKEN_PREFIX = 'k8s-aws-v1.';
const PRESIGN_SECONDS = 60;
const SERVER_ACCEPTS_MS = 15 * 60 * 1000;

function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * A bearer token for an EKS cluster, made in-process like `aws eks
 * get-token`: a presigned STS GetCallerIdentity URL whose signed headers
 * include `x-k8s-aws-id: <cluster>`, base64url-encoded behind `k8s-aws-v1.`.
 * The API server replays it to STS to learn who we are.
 */
export async function eksToken(options: EksTokenOptions): Promise<EksToken> {
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signingDate = options.signingDate ?? new Date();
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': options.clusterName },
    }),
    { expiresIn: PRESIGN_SECONDS, signingDate },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([key, value]) => `${encode(key)}=${encode(String(value))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url).toString('base64url'),
    expiresAt: new Date(signingDate.getTime() + SERVER_ACCEPTS_MS),
  };
}
