import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { ClusterConnection } from './client.ts';
import { eksToken } from './eks-token.ts';

export interface EksClusterRef {
  name: string;
  region: string;
  /** Role to assume first, for clusters in other accounts. */
  roleArn?: string;
}

interface Endpoint {
  server: string;
  ca: Buffer;
}

// Endpoint and CA rarely change; a warm Lambda container keeps them. The
// token is made fresh for every connection.
const endpoints = new Map<string, Promise<Endpoint>>();

function credentialsFor(ref: EksClusterRef): AwsCredentialIdentityProvider {
  if (!ref.roleArn) return fromNodeProviderChain();
  return fromTemporaryCredentials({
    params: { RoleArn: ref.roleArn, RoleSessionName: 'driftless', DurationSeconds: 900 },
    clientConfig: { region: ref.region },
  });
}

async function describe(
  ref: EksClusterRef,
  credentials: AwsCredentialIdentityProvider,
): Promise<Endpoint> {
  const eks = new EKSClient({ region: ref.region, credentials });
  try {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: ref.name }));
    if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
      throw new Error(
        `EKS cluster ${ref.name} in ${ref.region} has no endpoint or CA yet (status ${cluster?.status ?? 'unknown'})`,
      );
    }
    return {
      server: cluster.endpoint,
      ca: Buffer.from(cluster.certificateAuthority.data, 'base64'),
    };
  } finally {
    eks.destroy();
  }
}

/** How to reach an EKS cluster as the current (or assumed) AWS identity. */
export async function eksConnection(ref: EksClusterRef): Promise<ClusterConnection> {
  const credentials = credentialsFor(ref);
  const key = `${ref.region}/${ref.name}/${ref.roleArn ?? ''}`;
  let endpoint = endpoints.get(key);
  if (!endpoint) {
    endpoint = describe(ref, credentials);
    endpoints.set(key, endpoint);
    endpoint.catch(() => endpoints.delete(key));
  }
  const [{ server, ca }, { token }] = await Promise.all([
    endpoint,
    eksToken({ clusterName: ref.name, region: ref.region, credentials }),
  ]);
  return { server, ca, token };
}
