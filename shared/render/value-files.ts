import { join } from 'node:path';
import { escapeOf, type Containment } from './containment.ts';

/** `$ref/path`: a file of the source whose `ref` is `ref` (Argo CD's multi-source value files). */
function refOf(file: string): { ref: string; path: string } | undefined {
  const match = /^\$([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(.+)$/.exec(file);
  return match ? { ref: match[1]!, path: match[3]! } : undefined;
}

/**
 * Each value file as a path Helm can read, in the order given: `$ref/…` in
 * that source's checkout, the rest in the chart's folder (`local`; a chart
 * archive has none). Every one must resolve inside its checkout, links
 * included; all problems are reported together.
 */
export function resolveValueFiles(
  files: string[],
  local: { dir: string; containment: Containment } | undefined,
  sources: ReadonlyMap<string, Containment> = new Map(),
): { paths: string[]; problems: string[] } {
  const paths: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const ref = refOf(file);
    const where = ref ? sources.get(ref.ref) : local?.containment;
    if (!where) {
      problems.push(
        ref
          ? `value file ${file}: no source of the application has ref ${ref.ref}`
          : `value file ${file}: a chart from a repository or registry has no folder to read it from; take it from a Git source ($ref/${file}) or give values inline`,
      );
      continue;
    }
    const path = ref ? join(where.root, ref.path) : join(local!.dir, file);
    const escape = escapeOf(where, path);
    if (escape) problems.push(`value file ${file}: ${escape}`);
    else paths.push(path);
  }
  return { paths, problems };
}
