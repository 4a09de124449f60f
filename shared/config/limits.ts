import * as z from 'zod';

const UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** Bytes as a number or a Kubernetes-style quantity (`512Mi`, `16Ki`, `1Gi`). */
const Bytes = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^[1-9]\d*(Ki|Mi|Gi)?$/, 'must be a byte count like 1048576, 512Ki, 16Mi or 1Gi')
    .transform((v) => {
      const [, n, unit] = /^(\d+)(Ki|Mi|Gi)?$/.exec(v)!;
      return Number(n) * UNITS[unit ?? '']!;
    }),
]);

/**
 * What one application's repository may make the reconciler download, write
 * and send, so a hostile or broken repository fails with a clear message
 * instead of exhausting memory, /tmp or the API server. Every default fits a
 * large real application with room to spare.
 */
export const Limits = z.strictObject({
  /** Largest pack one Git fetch may receive. */
  maxFetchBytes: Bytes.default(512 * 1024 ** 2),
  /** Largest file a checkout may hold. */
  maxFileBytes: Bytes.default(16 * 1024 ** 2),
  /** Largest render: a tool's output, or the manifest files a directory render reads. */
  maxRenderedBytes: Bytes.default(64 * 1024 ** 2),
  /** Most objects one render may produce; checked before anything is sent to a cluster. */
  maxObjects: z.number().int().positive().default(20_000),
});
export type Limits = z.output<typeof Limits>;
