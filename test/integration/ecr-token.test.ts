import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ecrCredentials, ecrRegion } from '../../shared/source/oci/ecr-auth.ts';
import { LOCAL_AWS } from '../harness/dynamodb.ts';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe("ECR token exchange (ecr:GetAuthorizationToken against moto's ECR API, a stand-in)", () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    const moto = inject('awsEndpoint');
    if (!moto) throw new Error('moto was not started by the harness');
    const env = {
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_ECR: moto,
    };
    for (const [key, value] of Object.entries(env)) {
      saved[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('recognises ECR registries by name, and no others', () => {
    expect(ecrRegion(REGISTRY)).toBe('eu-west-1');
    expect(ecrRegion('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com')).toBe('us-east-1');
    expect(ecrRegion('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example')).toBeUndefined();
    expect(ecrRegion('ghcr.io')).toBeUndefined();
  });

  it("turns the function's own identity into registry credentials, reused for an hour", async () => {
    let clock = 1_000_000;
    const first = await ecrCredentials(REGISTRY, () => clock);
    // moto's token is base64 of AWS:<registry id>-auth-token, as ECR's is AWS:<password>.
    expect(first).toEqual({ username: 'AWS', password: '123456789012-auth-token' });
    // Reused: with the endpoint gone, a second call still answers.
    process.env.AWS_ENDPOINT_URL_ECR = 'http://127.0.0.1:9';
    expect(await ecrCredentials(REGISTRY, () => clock)).toEqual(first);
    clock += 2 * 60 * 60_000;
    await expect(ecrCredentials(REGISTRY, () => clock)).rejects.toThrow(
      /cannot get an ECR token for 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/,
    );
    process.env.AWS_ENDPOINT_URL_ECR = inject('awsEndpoint');
  });

  it('asks nothing for a registry that is not ECR', async () => {
    expect(await ecrCredentials('registry.example.com')).toBeUndefined();
  });
});
