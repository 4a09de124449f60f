import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the built web UI, held in memory. */
export interface UiFile {
  body: Buffer;
  contentType: string;
  /** Vite names assets by content hash: they never change under their name. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

// The bundle's chunks are in dist/cli/chunks/, the UI in dist/ui/ (scripts/build.ts
// defines this); run from source, this file is in cli/, one folder below the root.
declare const __DRIFTLESS_UI_DIR__: string | undefined;

/** Where the built UI is: dist/ui, next to the CLI bundle (scripts/build.ts). */
export function uiDir(): string {
  const relative = typeof __DRIFTLESS_UI_DIR__ === 'string' ? __DRIFTLESS_UI_DIR__ : '../dist/ui/';
  return fileURLToPath(new URL(relative, import.meta.url));
}

/**
 * Every file of the built UI by URL path (`/index.html`, `/assets/x-HASH.js`),
 * read once at start. Requests are answered by looking a path up here, never
 * by joining it to a folder, so no path (`/..%2f..%2fetc/passwd`) can name
 * a file outside the build. Undefined when the UI was not built.
 */
export function loadUiFiles(dir = uiDir()): Map<string, UiFile> | undefined {
  if (!statSync(join(dir, 'index.html'), { throwIfNoEntry: false })?.isFile()) return undefined;
  const files = new Map<string, UiFile>();
  for (const relative of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, relative);
    const contentType = TYPES[extname(relative)];
    if (!contentType || !statSync(path).isFile()) continue;
    files.set(`/${relative.split('\\').join('/')}`, {
      body: readFileSync(path),
      contentType,
      immutable: relative.startsWith('assets/'),
    });
  }
  return files;
}
