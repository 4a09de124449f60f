import * as z from 'zod';
import { Metadata } from './names.ts';

/** How to reach a cluster through a kubeconfig file (non-EKS clusters, local tests). */
export const KubeconfigAccess = z.strictObject({
  /** Path to the kubeconfig; relative paths resolve against the file that declares the cluster. */
  file: z.string().min(1),
  /** Context to use; the kubeconfig's current context when absent. */
  context: z.string().optional(),
});

/** An EKS cluster reached with the caller's AWS identity (or an assumed role). */
export const EksAccess = z.strictObject({
  name: z.string().min(1).max(100),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  /** Role to assume first, for a cluster in another account. */
  roleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')
    .optional(),
});

export const ClusterSpec = z.union(
  [z.strictObject({ kubeconfig: KubeconfigAccess }), z.strictObject({ eks: EksAccess })],
  { error: 'spec must have exactly one of kubeconfig or eks' },
);

export const Cluster = z.strictObject({
  apiVersion: z.literal('driftless.dev/v1alpha1', {
    error: 'apiVersion must be driftless.dev/v1alpha1',
  }),
  kind: z.literal('Cluster', { error: 'kind must be Cluster' }),
  metadata: Metadata,
  spec: ClusterSpec,
});

export type Cluster = z.output<typeof Cluster>;
