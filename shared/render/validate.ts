import { objectKey, type KubeObject } from '../kube/object.ts';
import type { Candidate } from './documents.ts';
import { describeSource, type RenderIssue } from './errors.ts';
import type { ManifestSource, RenderedObject } from './types.ts';
import { secretProblems } from './validate-secret.ts';

export interface ValidationLimits {
  /** Largest object, as JSON. Default 1 MiB, etcd's per-value limit scale. */
  maxObjectBytes?: number;
  /** Most objects one application may render; unlimited by default. */
  maxObjects?: number;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a sequence';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

/** The API server's name rule for the kind; custom resources use the subdomain rule too. */
function nameProblem(apiVersion: string, kind: string, name: string): string | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === 'rbac.authorization.k8s.io' && RBAC_KINDS.has(kind)) {
    return name === '.' || name === '..' || /[/%]/.test(name)
      ? `metadata.name "${name}" must not be "." or ".." or contain "/" or "%"`
      : undefined;
  }
  if (group === '' && kind === 'Service') {
    return name.length <= 63 && DNS1035_LABEL.test(name)
      ? undefined
      : `metadata.name "${name}" must be a DNS-1035 label for a Service (at most 63 lowercase letters, digits and "-", starting with a letter)`;
  }
  if (group === '' && kind === 'Namespace') {
    return name.length <= 63 && DNS1123_LABEL.test(name)
      ? undefined
      : `metadata.name "${name}" must be a DNS-1123 label for a Namespace (at most 63 lowercase letters, digits and "-")`;
  }
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
    ? undefined
    : `metadata.name "${name}" must be a DNS-1123 subdomain (at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)`;
}

function stringMapProblem(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!isMapping(value)) return `metadata.${field} must be a mapping, not ${typeName(value)}`;
  const bad = Object.entries(value).find(([, v]) => typeof v !== 'string');
  return bad
    ? `metadata.${field}.${bad[0]} must be a string, not ${typeName(bad[1])} (quote it in YAML)`
    : undefined;
}

function objectProblems(value: unknown, maxObjectBytes: number): string[] {
  if (!isMapping(value))
    return [`expected a Kubernetes object (a mapping), found ${typeName(value)}`];
  const problems: string[] = [];
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || apiVersion === '')
    problems.push('apiVersion must be a non-empty string');
  if (typeof kind !== 'string' || kind === '') problems.push('kind must be a non-empty string');
  if (!isMapping(metadata)) {
    problems.push('metadata.name is missing (no metadata mapping)');
  } else {
    const { name, generateName, namespace } = metadata;
    if (name === undefined && generateName !== undefined) {
      problems.push(
        'metadata.generateName is not supported: GitOps needs a stable name to diff, update and prune the object; set metadata.name',
      );
    } else if (typeof name !== 'string' || name === '') {
      problems.push('metadata.name must be a non-empty string');
    } else if (typeof apiVersion === 'string' && typeof kind === 'string') {
      const problem = nameProblem(apiVersion, kind, name);
      if (problem) problems.push(problem);
    }
    if (
      namespace !== undefined &&
      (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace))
    ) {
      problems.push(`metadata.namespace ${JSON.stringify(namespace)} must be a DNS-1123 label`);
    }
    for (const field of ['labels', 'annotations']) {
      const problem = stringMapProblem(field, metadata[field]);
      if (problem) problems.push(problem);
    }
  }
  if (kind === 'Secret' && apiVersion === 'v1') problems.push(...secretProblems(value));
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > maxObjectBytes) {
    problems.push(`object is ${bytes} bytes as JSON, over the ${maxObjectBytes}-byte limit`);
  }
  return problems;
}

/**
 * Checks every candidate and collects every problem before failing, so one
 * render shows all of them. `namespace` stands in for objects that name none:
 * a later stage gives them that namespace, so two such objects would collide.
 */
export function validateCandidates(
  candidates: Candidate[],
  namespace: string,
  limits: ValidationLimits = {},
): { objects: RenderedObject[]; issues: RenderIssue[] } {
  const maxObjectBytes = limits.maxObjectBytes ?? 1024 * 1024;
  const objects: RenderedObject[] = [];
  const issues: RenderIssue[] = [];
  const seen = new Map<string, ManifestSource>();
  for (const { value, source } of candidates) {
    const problems = objectProblems(value, maxObjectBytes);
    if (problems.length > 0) {
      for (const message of problems) issues.push({ source, message });
      continue;
    }
    const object = value as KubeObject;
    const name = object.metadata.name as string;
    const key = objectKey({
      apiVersion: object.apiVersion,
      kind: object.kind,
      name,
      namespace: object.metadata.namespace ?? namespace,
    });
    const first = seen.get(key);
    if (first) {
      issues.push({
        source,
        message: `duplicate ${object.kind} ${object.metadata.namespace ?? namespace}/${name}: also defined at ${describeSource(first)}`,
      });
      continue;
    }
    seen.set(key, source);
    objects.push({ object, source });
  }
  if (limits.maxObjects !== undefined && objects.length > limits.maxObjects) {
    issues.push({
      message: `${objects.length} objects rendered, over the limit of ${limits.maxObjects} per application (spec.limits.maxObjects); nothing is sent to the cluster`,
    });
  }
  return { objects, issues };
}
