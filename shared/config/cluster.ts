import { z } from 'zod';
import { Metadata } from './names.ts';

/** How to reach a cluster through a kubeconfig file (non-EKS clusters, local tests). */
export const KubeconfigAccess = z.strictObject({
  /** Path to the kubeconfig; relative paths resolve against the file that declares the cluster. */
  file: z.string().min(1),
  /** Context to use; the kubeconfig's current context when absent. */
  context: z.string().optional(),
});

export const ClusterSpec = z.strictObject({
  kubeconfig: KubeconfigAccess,
});

export const Cluster = z.strictObject({
  apiVersion: z.literal('driftless.dev/v1alpha1', {
    error: 'apiVersion must be driftless.dev/v1alpha1',
  }),
  kind: z.literal('Cluster', { error: 'kind must be Cluster' }),
  metadata: Metadata,
  spec: ClusterSpec,
});

export type Cluster = z.output<typeof Cluster>;
