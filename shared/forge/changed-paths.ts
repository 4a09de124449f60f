/**
 * The most files a pull request's listing is read for. GitHub lists at
 * most 3000 (and says nothing of the rest), so a listing that reaches it
 * may be cut; at that size routing takes every application anyway.
 */
const MAX_CHANGED_FILES = 3000;

/** One changed file: its path before and after (one of them absent for an added or deleted file). */
export type FileChange = readonly [
  before: string | null | undefined,
  after: string | null | undefined,
];

/**
 * Every path the pages of changes name, both sides of a rename, each once;
 * undefined once MAX_CHANGED_FILES files have been listed. Pages are read
 * lazily, so nothing past the limit is fetched.
 */
export async function changedPaths(
  pages: AsyncIterable<readonly FileChange[]>,
): Promise<string[] | undefined> {
  const paths = new Set<string>();
  let files = 0;
  for await (const page of pages) {
    for (const [before, after] of page) {
      if (++files >= MAX_CHANGED_FILES) return undefined;
      if (before) paths.add(before);
      if (after) paths.add(after);
    }
  }
  return [...paths];
}
