import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isNoSpace, noSpaceMessage } from '../source/errors.ts';
import type { RenderedObject } from './types.ts';

/**
 * What a render depends on. The same commit, path, render spec, namespace,
 * cluster version, renderer binaries and fetched charts always render the
 * same objects.
 */
export interface RenderInputs {
  repoURL: string;
  revision: string;
  path: string;
  app: string;
  spec: unknown;
  namespace: string;
  kubeVersion: string;
  /** What the cluster serves, for a Helm chart (null for other renderers). */
  apiVersions: string[] | null;
  binaries: unknown;
  /**
   * The charts the render fetched (`repository name version sha256`): a
   * range may pick a newer one at the same commit. Absent when it fetched
   * none, so the keys of other renders stay as they were.
   */
  charts?: string[];
  /** The `ref` sources (and their revisions) whose files Helm reads as values. */
  valueSources?: string[];
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

const isSecret = ({ object }: RenderedObject): boolean =>
  object.kind === 'Secret' && object.apiVersion === 'v1';

/** What the file holds: every object but Secrets, and the Secrets sealed (AES-256-GCM). */
interface StoredRender {
  key: string;
  objects: RenderedObject[];
  /** Where each Secret stood in the render. */
  secretAt: number[];
  /** The Secrets, encrypted: `iv.tag.ciphertext`, base64. */
  sealed: string;
}

const TAG_BYTES = 16;

/**
 * The sealed Secrets are bound (as additional authenticated data) to the
 * entry they belong to: its key and where each Secret stands, and the digest
 * of the other objects, so neither can be moved or edited around them.
 */
function boundTo(stored: Omit<StoredRender, 'sealed'>): Buffer {
  return Buffer.from(digest([stored.key, stored.secretAt, stored.objects]), 'hex');
}

function seal(sealKey: Buffer, value: unknown, aad: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const text = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), text].map((b) => b.toString('base64')).join('.');
}

function unseal(sealKey: Buffer, sealed: string, aad: Buffer): RenderedObject[] | undefined {
  try {
    const [iv, tag, text] = sealed.split('.').map((p) => Buffer.from(p, 'base64'));
    if (tag?.length !== TAG_BYTES) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', sealKey, iv!, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(text!), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as RenderedObject[];
  } catch {
    // Another key (another process's, a rotated one): render again.
    return undefined;
  }
}

function store(key: string, objects: RenderedObject[], sealKey: Buffer): StoredRender {
  const stored: StoredRender = { key, objects: [], secretAt: [], sealed: '' };
  const secrets: RenderedObject[] = [];
  objects.forEach((rendered, index) => {
    if (!isSecret(rendered)) return stored.objects.push(rendered);
    secrets.push(rendered);
    stored.secretAt.push(index);
  });
  stored.sealed = seal(sealKey, secrets, boundTo(stored));
  return stored;
}

/** The whole render back, or undefined when its Secrets cannot be unsealed with this key. */
function restore(stored: StoredRender, sealKey: Buffer): RenderedObject[] | undefined {
  const secrets = unseal(sealKey, stored.sealed, boundTo(stored));
  if (!secrets || secrets.length !== stored.secretAt.length) return undefined;
  const objects = [...stored.objects];
  stored.secretAt.forEach((index, i) => objects.splice(index, 0, secrets[i]!));
  return objects;
}

/**
 * Keeps the last render of each application next to the Git cache, so a
 * reconcile of an unchanged commit (every scheduled drift check of a
 * self-healing app) skips re-reading and re-parsing its manifests: 0.4 s
 * for 1,000 YAML files on a small machine. One file per application bounds
 * the cache; a new commit overwrites it. No Secret value is in the file in
 * plaintext: Secrets are sealed with `sealKey`, which lives elsewhere (the
 * function's memory, the user's config folder; see EngineSettings).
 */
export async function renderWithCache(
  cacheDir: string,
  inputs: RenderInputs,
  render: () => Promise<RenderedObject[]>,
  sealKey: Buffer,
): Promise<{ objects: RenderedObject[]; cached: boolean }> {
  const dir = join(cacheDir, 'renders');
  const file = join(dir, `${digest([inputs.repoURL, inputs.path, inputs.app]).slice(0, 32)}.json`);
  const key = digest(inputs);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredRender>;
    if (stored.key === key && Array.isArray(stored.objects) && Array.isArray(stored.secretAt)) {
      const objects = restore(stored as StoredRender, sealKey);
      if (objects) return { objects, cached: true };
    }
  } catch {
    // No usable cache entry: render.
  }
  const objects = await render();
  await writeEntry(cacheDir, file, JSON.stringify(store(key, objects, sealKey)));
  return { objects, cached: false };
}

/** Written whole and renamed, so a concurrent reader never sees half a file. */
async function writeEntry(cacheDir: string, file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    // Half a file on a full disk only takes the room the next write needs.
    await rm(temp, { force: true });
    if (isNoSpace(error)) throw new Error(noSpaceMessage(cacheDir), { cause: error });
    throw error;
  }
}
