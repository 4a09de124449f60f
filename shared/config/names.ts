import * as z from 'zod';

/**
 * Application and cluster names are DNS labels: they become label values,
 * DynamoDB keys and parts of event names, so keep them short and plain.
 */
export const ResourceName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lowercase letters, digits and "-", starting and ending with a letter or digit',
  )
  .max(63, 'must be at most 63 characters');

export const Metadata = z.strictObject({
  name: ResourceName,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
