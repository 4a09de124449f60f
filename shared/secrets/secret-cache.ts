import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads Secrets Manager secrets as JSON and keeps them for a few minutes per
 * warm container: a rotated secret is picked up without a redeploy, and a
 * burst of webhooks costs one read.
 */
export class SecretCache {
  private readonly client: SecretsManagerClient;
  private readonly ttlMs: number;
  private readonly entries = new Map<string, { value: Promise<unknown>; expires: number }>();

  constructor(client: SecretsManagerClient, ttlMs = 5 * 60_000) {
    this.client = client;
    this.ttlMs = ttlMs;
  }

  json(secretId: string): Promise<unknown> {
    const hit = this.entries.get(secretId);
    if (hit && hit.expires > Date.now()) return hit.value;
    const value = this.client.send(new GetSecretValueCommand({ SecretId: secretId })).then((r) => {
      if (!r.SecretString) throw new Error(`secret ${secretId} has no string value`);
      try {
        return JSON.parse(r.SecretString) as unknown;
      } catch {
        throw new Error(`secret ${secretId} is not valid JSON`);
      }
    });
    this.entries.set(secretId, { value, expires: Date.now() + this.ttlMs });
    value.catch(() => this.entries.delete(secretId));
    return value;
  }
}
