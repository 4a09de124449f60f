import { readdir, readFile, stat } from 'node:fs/promises';
import { join, matchesGlob } from 'node:path';
import { mapLimit } from '../concurrency.ts';
import { parseDocuments, type Parsed } from './documents.ts';
import type { DirectorySpec } from './spec.ts';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Manifest files relative to `appDir`, `/`-separated, in code-unit order so
 * the output never depends on the file system or the locale. Dot-files and
 * dot-directories (.git, .github, ...) are not manifests and are skipped.
 */
export async function listManifestFiles(appDir: string, spec: DirectorySpec): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(appDir, relative), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      // Links are followed to files only: a linked directory could loop.
      const isDirectory = entry.isDirectory();
      const isFile =
        entry.isFile() || (entry.isSymbolicLink() && (await stat(join(appDir, path))).isFile());
      if (isDirectory && spec.recurse) await walk(path);
      if (!isFile || !MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) continue;
      if (spec.include && !matchesGlob(path, spec.include)) continue;
      if (spec.exclude && matchesGlob(path, spec.exclude)) continue;
      files.push(path);
    }
  };
  await walk('');
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// Files read at once: one at a time, a folder of a thousand small manifests
// spends more time waiting on the thread pool than parsing.
const PARALLEL_READS = 32;

export async function renderDirectory(appDir: string, spec: DirectorySpec): Promise<Parsed> {
  const files = await listManifestFiles(appDir, spec);
  const texts = await mapLimit(files, PARALLEL_READS, (file) =>
    readFile(join(appDir, file), 'utf8'),
  );
  const parsed: Parsed = { candidates: [], issues: [] };
  files.forEach((file, i) => {
    const { candidates, issues } = parseDocuments(texts[i]!, file);
    parsed.candidates.push(...candidates);
    parsed.issues.push(...issues);
  });
  return parsed;
}
