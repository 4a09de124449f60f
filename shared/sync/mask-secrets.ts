import { createHmac, randomBytes } from 'node:crypto';
import type { KubeObject } from '../kube/object.ts';

/**
 * Replaces Secret values with masks before anything is shown. Within one
 * masker the same key of the same Secret masks alike for equal values, so a
 * diff still shows which keys changed; the HMAC key is random per masker, so
 * masks cannot be compared across runs or brute-forced from a stored diff.
 * Masks are scoped to the Secret and key: otherwise whoever writes the
 * desired side (a pull request being previewed) could add a Secret of many
 * keys, each a guess, and learn which guess equals a live value by its mask.
 */
export class SecretMasker {
  private readonly key = randomBytes(32);

  private mask(scope: string, value: unknown): string {
    const digest = createHmac('sha256', this.key)
      .update(`${scope}\0${String(value)}`)
      .digest('hex')
      .slice(0, 12);
    return `<masked ${digest}>`;
  }

  apply(object: KubeObject | undefined): KubeObject | undefined {
    if (!object || object.kind !== 'Secret' || object.apiVersion !== 'v1') return object;
    const copy = structuredClone(object);
    const secret = `${copy.metadata.namespace ?? ''}/${copy.metadata.name ?? ''}`;
    for (const field of ['data', 'stringData'] as const) {
      const values = copy[field];
      if (values && typeof values === 'object') {
        // stringData is what the user wrote, data what the server stores as
        // base64; decode data so the same secret masks alike in both.
        for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
          const plain =
            field === 'data' ? Buffer.from(String(value), 'base64').toString('utf8') : value;
          (values as Record<string, unknown>)[key] = this.mask(`${secret}/${key}`, plain);
        }
      }
    }
    const annotations = copy.metadata.annotations;
    if (annotations?.['kubectl.kubernetes.io/last-applied-configuration']) {
      annotations['kubectl.kubernetes.io/last-applied-configuration'] = this.mask(
        `${secret} last-applied`,
        annotations['kubectl.kubernetes.io/last-applied-configuration'],
      );
    }
    return copy;
  }
}
