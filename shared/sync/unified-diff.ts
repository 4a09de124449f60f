import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { KubeObject } from '../kube/object.ts';
import type { SecretMasker } from './mask-secrets.ts';
import { normalizeForDiff } from './normalize.ts';

function yamlOf(object: KubeObject | undefined): string {
  return object ? stringify(object, { sortMapEntries: true }) : '';
}

/** Live → desired as YAML, without server-owned fields, Secret values masked: diffs are shown and stored. */
export function unifiedDiff(
  name: string,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  masker: SecretMasker,
): string {
  const a = masker.apply(before && normalizeForDiff(before));
  const b = masker.apply(after && normalizeForDiff(after));
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, yamlOf(a), yamlOf(b), '', '', {
    context: 3,
  });
}
