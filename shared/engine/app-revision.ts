import type { Application } from '../config/application.ts';
import { joinRevisions, sourcesOf, splitRevision } from '../config/sources.ts';
import { isPinnedRevision } from '../source/app-source-spec.ts';
import { resolveAppRevision } from '../source/app-source.ts';
import type { SourceOptions } from '../source/index.ts';

/** What the application's sources name now: each one's commit, version or digest, in order. */
export async function resolveApplicationRevision(
  app: Application,
  options: SourceOptions,
  wanted?: string,
): Promise<{ revision: string }> {
  const entries = sourcesOf(app);
  const asked = wanted
    ? splitRevision(wanted, entries.length)
    : entries.map((e) => e.source.targetRevision);
  const parts = await Promise.all(
    entries.map(async (e, i) =>
      isPinnedRevision(e.source, asked[i]!)
        ? asked[i]!
        : (await resolveAppRevision({ ...e.source, targetRevision: asked[i]! }, options)).revision,
    ),
  );
  return { revision: joinRevisions(parts) };
}

/** Whether every source's part of a revision names one immutable thing. */
export function isPinnedApplicationRevision(app: Application, revision: string): boolean {
  const entries = sourcesOf(app);
  const parts = revision.split(',');
  return (
    parts.length === entries.length &&
    entries.every((e, i) => isPinnedRevision(e.source, parts[i]!))
  );
}
