import * as z from 'zod';
import { RenderSpec } from '../render/spec.ts';
import { AppSource, type AppSourceInput } from '../source/app-source-spec.ts';
import { ResourceName } from './names.ts';

/**
 * One of several sources (Argo CD's `sources:`): a source as `source` takes
 * it, how to render it, and a `ref` name by which a chart's value files name
 * a file in it (`$values/prod.yaml`). A source with `ref` supplies files
 * only; it renders nothing.
 */
export interface SourceEntry {
  source: AppSource;
  render?: RenderSpec | undefined;
  ref?: string | undefined;
}

export type SourceEntryInput = AppSourceInput & {
  ref?: string;
  render?: z.input<typeof RenderSpec>;
};

const Extras = z.strictObject({
  ref: ResourceName.optional(),
  render: RenderSpec.optional(),
});

/** `{ ...source, ref, render }` as written, parsed into its parts (each kind reports its own errors). */
export const SourceEntrySchema = z.unknown().transform((value, ctx): SourceEntry => {
  if (typeof value !== 'object' || value === null) {
    ctx.addIssue({ code: 'custom', message: 'a source must be a mapping', input: value });
    return z.NEVER;
  }
  // A parsed entry (as the registry stores it) parses again to itself.
  const parsedShape =
    'source' in value && typeof (value as { source: unknown }).source === 'object';
  const { ref, render, ...rest } = value as Record<string, unknown>;
  if (parsedShape) {
    const { source: inner, ...others } = rest;
    if (Object.keys(others).length)
      ctx.addIssue({
        code: 'custom',
        message: `unknown fields ${Object.keys(others).join(', ')}`,
        input: value,
      });
    return entryOf(inner, { ref, render }, value, ctx);
  }
  return entryOf(rest, { ref, render }, value, ctx);
});

function entryOf(
  rest: unknown,
  extrasInput: { ref: unknown; render: unknown },
  value: unknown,
  ctx: z.RefinementCtx,
): SourceEntry {
  const extras = Extras.safeParse(extrasInput);
  const source = AppSource.safeParse(rest);
  for (const issue of [...(extras.error?.issues ?? []), ...(source.error?.issues ?? [])])
    ctx.addIssue({ ...issue, code: 'custom', input: value });
  if (!extras.success || !source.success) return z.NEVER;
  return { source: source.data, render: extras.data.render, ref: extras.data.ref };
}

/** Revisions of several sources in one string, in `sources` order: `,` is in no SHA, version or digest. */
export function joinRevisions(parts: string[]): string {
  return parts.join(',');
}

export function splitRevision(revision: string, count: number): string[] {
  if (count === 1) return [revision];
  const parts = revision.split(',');
  if (parts.length !== count)
    throw new Error(
      `revision ${revision} names ${parts.length} source(s); the application has ${count} (give one per source, comma-separated)`,
    );
  return parts;
}

/** A `$ref/path` value file: the ref's name and the path inside it. */
export function refValueFile(file: string): { ref: string; path: string } | undefined {
  const match = /^\$([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(.+)$/.exec(file);
  return match ? { ref: match[1]!, path: match[3]! } : undefined;
}

/** An application's sources in order: `sources`, or its one `source` with the app's `render`. */
export function sourcesOf(app: {
  spec: {
    source?: AppSource | undefined;
    sources?: SourceEntry[] | undefined;
    render?: RenderSpec | undefined;
  };
}): SourceEntry[] {
  if (app.spec.sources) return app.spec.sources;
  return [{ source: app.spec.source!, render: app.spec.render }];
}

/** The source shown where one is named (status, history, the registry's repository key): the first. */
export function primarySource(app: Parameters<typeof sourcesOf>[0]): AppSource {
  return sourcesOf(app)[0]!.source;
}

/** What the application asks for, one ref or range per source, comma-separated. */
export function targetRevisionOf(app: Parameters<typeof sourcesOf>[0]): string {
  return joinRevisions(sourcesOf(app).map((e) => e.source.targetRevision));
}
