import { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { LocalCluster } from './control-plane.ts';

/** One of the clusters started by globalSetup, by name. */
export function cluster(name: 'cluster-a' | 'cluster-b'): LocalCluster {
  const found = inject('clusters').find((c) => c.name === name);
  if (!found) throw new Error(`cluster ${name} was not started by the harness`);
  return found;
}

export function kubeConfigOf(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** A namespace name unique to this test, so files can run in parallel on one cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
