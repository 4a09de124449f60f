import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/kube/object.ts';
import { SecretMasker } from '../../shared/sync/mask-secrets.ts';

const secret = (name: string, field: 'data' | 'stringData', values: Record<string, string>) =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'web' },
    [field]:
      field === 'data'
        ? Object.fromEntries(
            Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          )
        : values,
  }) as KubeObject;

const masks = (object: KubeObject | undefined, field: 'data' | 'stringData') =>
  (object as unknown as Record<string, Record<string, string>>)[field]!;

describe('SecretMasker', () => {
  it('the same key of the same Secret masks alike, whether stored as data or written as stringData', () => {
    const masker = new SecretMasker();
    const live = masks(masker.apply(secret('db', 'data', { password: 'hunter2' })), 'data');
    const desired = masks(
      masker.apply(secret('db', 'stringData', { password: 'hunter2' })),
      'stringData',
    );
    expect(live.password).toMatch(/^<masked [0-9a-f]{12}>$/);
    expect(desired.password).toBe(live.password);
    const changed = masks(
      masker.apply(secret('db', 'stringData', { password: 'hunter3' })),
      'stringData',
    );
    expect(changed.password).not.toBe(live.password);
  });

  it('equal values under other keys or in other Secrets do not compare: guesses in a desired Secret tell nothing', () => {
    const masker = new SecretMasker();
    const live = masks(masker.apply(secret('db', 'data', { password: 'hunter2' })), 'data');
    const guesses = masks(
      masker.apply(secret('guesses', 'stringData', { g1: 'letmein', g2: 'hunter2' })),
      'stringData',
    );
    const sameSecretOtherKey = masks(
      masker.apply(secret('db', 'stringData', { other: 'hunter2' })),
      'stringData',
    );
    expect(Object.values(guesses)).not.toContain(live.password);
    expect(sameSecretOtherKey.other).not.toBe(live.password);
  });

  it('two maskers never agree: masks are not comparable across runs', () => {
    const a = masks(new SecretMasker().apply(secret('db', 'data', { password: 'x' })), 'data');
    const b = masks(new SecretMasker().apply(secret('db', 'data', { password: 'x' })), 'data');
    expect(a.password).not.toBe(b.password);
  });
});
