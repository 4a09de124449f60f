import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RenderedObject } from './types.ts';

/**
 * What a render depends on. The same commit, path, render spec, namespace,
 * cluster version and renderer binaries always render the same objects.
 */
export interface RenderInputs {
  repoURL: string;
  revision: string;
  path: string;
  app: string;
  spec: unknown;
  namespace: string;
  kubeVersion: string;
  binaries: unknown;
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

const isSecret = ({ object }: RenderedObject): boolean =>
  object.kind === 'Secret' && object.apiVersion === 'v1';

/** What the file holds: every object but Secrets, which appear as their digest only. */
interface StoredRender {
  key: string;
  objects: RenderedObject[];
  secrets: { index: number; digest: string }[];
}

/**
 * Secret objects of recent renders, in this process's memory only: a warm
 * Lambda (whose /tmp the file shares the life of) still skips the render,
 * while the file on disk never holds a Secret value.
 */
const heldSecrets = new Map<string, { key: string; byDigest: Map<string, RenderedObject> }>();

function split(file: string, key: string, objects: RenderedObject[]): StoredRender {
  const held = new Map<string, RenderedObject>();
  const stored: StoredRender = { key, objects: [], secrets: [] };
  objects.forEach((rendered, index) => {
    if (!isSecret(rendered)) return stored.objects.push(rendered);
    const secretDigest = digest(rendered);
    held.set(secretDigest, rendered);
    stored.secrets.push({ index, digest: secretDigest });
  });
  // One entry per cache file, as on disk: the newest render replaces the last.
  heldSecrets.set(file, { key, byDigest: held });
  return stored;
}

/** The whole render back, or undefined when a Secret it needs is not held in memory. */
function restore(file: string, stored: StoredRender): RenderedObject[] | undefined {
  const entry = heldSecrets.get(file);
  const held = entry?.key === stored.key ? entry.byDigest : undefined;
  const objects = [...stored.objects];
  for (const { index, digest: secretDigest } of stored.secrets) {
    const secret = held?.get(secretDigest);
    if (!secret) return undefined;
    objects.splice(index, 0, structuredClone(secret));
  }
  return objects;
}

/**
 * Keeps the last render of each application next to the Git cache, so a
 * reconcile of an unchanged commit (every scheduled drift check of a
 * self-healing app) skips re-reading and re-parsing its manifests: 0.4 s
 * for 1,000 YAML files on a small machine. One file per application bounds
 * the cache; a new commit overwrites it. Secrets are kept out of the file
 * (see heldSecrets), so a render with Secrets is cached only within a process.
 */
export async function renderWithCache(
  cacheDir: string,
  inputs: RenderInputs,
  render: () => Promise<RenderedObject[]>,
): Promise<{ objects: RenderedObject[]; cached: boolean }> {
  const dir = join(cacheDir, 'renders');
  const file = join(dir, `${digest([inputs.repoURL, inputs.path, inputs.app]).slice(0, 32)}.json`);
  const key = digest(inputs);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredRender>;
    if (stored.key === key && Array.isArray(stored.objects) && Array.isArray(stored.secrets)) {
      const objects = restore(file, stored as StoredRender);
      if (objects) return { objects, cached: true };
    }
  } catch {
    // No usable cache entry: render.
  }
  const objects = await render();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written whole and renamed, so a concurrent reader never sees half a file.
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, JSON.stringify(split(file, key, objects)), { mode: 0o600 });
  await rename(temp, file);
  return { objects, cached: false };
}
