import type { GitCredentials } from '../remote.ts';

/** `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (and the .cn partition's). */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export function ecrRegion(registry: string): string | undefined {
  return ECR_HOST.exec(registry)?.[3];
}

interface Cached {
  credentials: GitCredentials;
  expiresAt: number;
}

const tokens = new Map<string, Cached>();
/** ECR tokens last 12 hours; renewed well before. */
const REUSE_MS = 60 * 60_000;

/**
 * Credentials for an Amazon ECR registry from `ecr:GetAuthorizationToken`
 * with the process's own AWS identity (the function's role): no static
 * secret. The client is loaded only for ECR registries.
 */
export async function ecrCredentials(
  registry: string,
  now: () => number = Date.now,
): Promise<GitCredentials | undefined> {
  const [, account, , region] = ECR_HOST.exec(registry) ?? [];
  if (!account || !region) return undefined;
  const hit = tokens.get(registry);
  if (hit && hit.expiresAt > now()) return hit.credentials;
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const ecr = new ECRClient({ region });
  try {
    const out = await ecr.send(new GetAuthorizationTokenCommand({ registryIds: [account] }));
    const token = out.authorizationData?.[0]?.authorizationToken;
    if (!token) throw new Error(`ECR gave no authorization token for ${registry}`);
    const [username, password] = Buffer.from(token, 'base64').toString('utf8').split(':', 2);
    if (!username || !password)
      throw new Error(`ECR's authorization token for ${registry} is malformed`);
    const credentials = { username, password };
    tokens.set(registry, { credentials, expiresAt: now() + REUSE_MS });
    return credentials;
  } catch (err) {
    throw new Error(`cannot get an ECR token for ${registry}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    ecr.destroy();
  }
}
