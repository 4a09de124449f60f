import type { KubeClient } from './client.ts';
import { resourcePath, type ResourceInfo } from './discovery.ts';
import { KubeApiError } from './errors.ts';
import type { KubeObject, ObjectMeta } from './object.ts';

export interface ApplyOptions {
  fieldManager: string;
  dryRun?: boolean;
  /** Take ownership of fields another manager set (our manifests are the source of truth). */
  force?: boolean;
}

/** Server-side apply of a plain JSON object (JSON is valid apply-patch YAML). */
export function applyObject(
  client: KubeClient,
  info: ResourceInfo,
  object: KubeObject,
  options: ApplyOptions,
): Promise<KubeObject> {
  return client.request<KubeObject>({
    method: 'PATCH',
    path: resourcePath(info, object.metadata.namespace, object.metadata.name),
    query: {
      fieldManager: options.fieldManager,
      force: options.force ?? true,
      dryRun: options.dryRun ? 'All' : undefined,
      // Unknown or duplicate fields are errors, never silently dropped. (For
      // server-side apply the server refuses fields outside the schema even
      // with a laxer setting, so no per-application opt-out is offered.)
      fieldValidation: 'Strict',
    },
    body: object,
    contentType: 'application/apply-patch+yaml',
  });
}

/** The live object, or undefined when it does not exist. */
export async function getObject(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await client.request<KubeObject>({
      method: 'GET',
      path: resourcePath(info, namespace, name),
    });
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) return undefined;
    throw err;
  }
}

/**
 * Deletes an object; true if it existed. Pass `uid` to delete only that
 * incarnation. A 404 to a retried DELETE (the client retries a lost answer)
 * is this delete's own earlier attempt having been carried out: done, and the
 * object did exist.
 */
export async function deleteObject(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string } = {},
): Promise<boolean> {
  try {
    await client.request({
      method: 'DELETE',
      path: resourcePath(info, namespace, name),
      body: {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: options.propagationPolicy ?? 'Background',
        ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
      },
    });
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) return err.retried;
    throw err;
  }
}

/**
 * Lists only the metadata of matching objects: enough to compare
 * resourceVersions without transferring specs.
 */
export async function listMetadata(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string | undefined,
  labelSelector: string,
): Promise<ObjectMeta[]> {
  const items: ObjectMeta[] = [];
  let continueToken: string | undefined;
  do {
    const page = await client.request<{
      items?: { metadata: ObjectMeta }[];
      metadata?: { continue?: string };
    }>({
      method: 'GET',
      path: resourcePath(info, namespace),
      query: { labelSelector, limit: 500, continue: continueToken },
      accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
    });
    for (const item of page.items ?? []) items.push(item.metadata);
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return items;
}

/** Every object of one kind (in one namespace, for a namespaced kind), page by page. */
export async function listObjects(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string | undefined,
): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let continueToken: string | undefined;
  do {
    const page = await client.request<{ items?: KubeObject[]; metadata?: { continue?: string } }>({
      method: 'GET',
      path: resourcePath(info, namespace),
      query: { limit: 500, continue: continueToken },
    });
    // List items carry no apiVersion or kind of their own.
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    for (const item of page.items ?? []) items.push({ ...item, apiVersion, kind: info.kind });
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return items;
}
