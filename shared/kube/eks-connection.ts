import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { ClusterConnection } from './client.ts';
import { eksToken } from './eks-token.ts';

export interface EksClusterRef {
  name: string;
  region: string;
  /** Role to assume first, for clusters in other accounts. */
  roleArn?: string;
}

/**
 * The EKS part of a `ClusterIdentity` (connect.ts), spelled out here because
 * connect.ts imports this file: a project's role, its session name and tags.
 */
export interface EksIdentity {
  roleArn?: string | undefined;
  sessionTags?: Record<string, string> | undefined;
  sessionName?: string | undefined;
}

interface Endpoint {
  server: string;
  ca: Buffer;
}

/** Length of an assumed role's session. */
const SESSION_SECONDS = 900;
/**
 * Assumed credentials are reused while at least this much of their session
 * is left: the token signed with them is replayed to STS by the API server for
 * the whole reconcile (apply and health wait are 5 minutes each by default),
 * and STS refuses it once the session has expired.
 */
const REUSE_MARGIN_MS = 10 * 60_000;
/** Most assumed-role providers a warm container keeps; the least recently used goes first. */
const MAX_PROVIDERS = 256;

// Endpoint and CA rarely change; a warm Lambda container keeps them. The
// token is made fresh for every connection.
const endpoints = new Map<string, Promise<Endpoint>>();
// Assumed-role providers by (region, cluster role, project role, session
// name, tags), so a reconcile reuses the session an earlier one assumed.
const providers = new Map<string, AwsCredentialIdentityProvider>();

function cached(
  key: string,
  make: () => AwsCredentialIdentityProvider,
): AwsCredentialIdentityProvider {
  let provider = providers.get(key);
  if (provider) {
    providers.delete(key);
  } else {
    provider = make();
    const oldest = providers.size >= MAX_PROVIDERS ? providers.keys().next() : undefined;
    if (oldest && !oldest.done) providers.delete(oldest.value);
  }
  providers.set(key, provider);
  return provider;
}

interface AssumeRole {
  kind: 'cluster' | 'project';
  roleArn: string;
  sessionName: string;
  tags: [string, string][];
  region: string;
  /** Credentials the role is assumed with (role chaining); the default chain when absent. */
  master?: AwsCredentialIdentityProvider | undefined;
}

/**
 * `sts:AssumeRole` of one role, its credentials reused while fresh enough
 * (REUSE_MARGIN_MS); concurrent callers share one call, and a failure is not
 * kept. The SDK's provider alone would call STS every time it is asked.
 */
function assumedRole(role: AssumeRole): AwsCredentialIdentityProvider {
  const assume = fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName,
      DurationSeconds: SESSION_SECONDS,
      ...(role.tags.length ? { Tags: role.tags.map(([Key, Value]) => ({ Key, Value })) } : {}),
    },
    ...(role.master ? { masterCredentials: role.master } : {}),
    clientConfig: { region: role.region },
  });
  let held: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return () => {
    if (held && (!held.expiration || held.expiration.getTime() - Date.now() > REUSE_MARGIN_MS)) {
      return Promise.resolve(held);
    }
    pending ??= assume()
      .then(
        (credentials) => (held = credentials),
        (err: unknown) => {
          throw roleError(role, err);
        },
      )
      .finally(() => (pending = undefined));
    return pending;
  };
}

/** Names the role; keeps only the message (STS messages name principals, never keys). */
function roleError(role: AssumeRole, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  // A chained project role whose cluster role failed: that failure says it all.
  if (message.startsWith('cannot assume ')) return new Error(message);
  return new Error(`cannot assume ${role.kind} role ${role.roleArn}: ${message}`);
}

function clusterCredentials(ref: EksClusterRef): AwsCredentialIdentityProvider {
  const roleArn = ref.roleArn;
  if (!roleArn) return fromNodeProviderChain();
  return cached(JSON.stringify(['cluster', ref.region, roleArn]), () =>
    assumedRole({
      kind: 'cluster',
      roleArn,
      sessionName: 'driftless',
      tags: [],
      region: ref.region,
    }),
  );
}

/** The project's role, assumed from the cluster's role when the cluster has one. */
function projectCredentials(ref: EksClusterRef, identity: EksIdentity & { roleArn: string }) {
  const sessionName = identity.sessionName ?? 'driftless';
  const tags = Object.entries(identity.sessionTags ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const key = ['project', ref.region, ref.roleArn ?? '', identity.roleArn, sessionName, tags];
  return cached(JSON.stringify(key), () =>
    assumedRole({
      kind: 'project',
      roleArn: identity.roleArn,
      sessionName,
      tags,
      region: ref.region,
      master: ref.roleArn ? clusterCredentials(ref) : undefined,
    }),
  );
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

/**
 * How to reach an EKS cluster as the current (or assumed) AWS identity. With
 * a project identity, the token is made as the project's role, so the role's
 * access entry bounds what the connection may write; the endpoint and CA are
 * still read as Driftless (or the cluster's role), which the project's role
 * need not be allowed to do.
 */
export async function eksConnection(
  ref: EksClusterRef,
  identity: EksIdentity = {},
): Promise<ClusterConnection> {
  const credentials = clusterCredentials(ref);
  const roleArn = identity.roleArn;
  const signWith = roleArn ? projectCredentials(ref, { ...identity, roleArn }) : credentials;
  const key = `${ref.region}/${ref.name}/${ref.roleArn ?? ''}`;
  let endpoint = endpoints.get(key);
  if (!endpoint) {
    endpoint = describe(ref, credentials);
    endpoints.set(key, endpoint);
    endpoint.catch(() => endpoints.delete(key));
  }
  const [{ server, ca }, { token }] = await Promise.all([
    endpoint,
    eksToken({ clusterName: ref.name, region: ref.region, credentials: signWith }),
  ]);
  return { server, ca, token };
}
