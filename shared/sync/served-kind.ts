import { setTimeout as sleep } from 'node:timers/promises';
import { resourcePath, type ResourceInfo } from '../kube/discovery.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { SyncContext } from './context.ts';

/** How long a kind may take to be served once its CRD says Established. */
const SERVED_WAIT_MS = 15_000;
const SERVED_POLL_MS = 250;

/**
 * Whether the API server answers for the kind's resources: discovery can
 * list a new version a moment before its handler is installed, when a
 * request gets a bare "404 page not found" rather than a Status. A refusal
 * (403) still says the resource is served.
 */
async function answers(ctx: SyncContext, info: ResourceInfo, namespace?: string): Promise<boolean> {
  try {
    await ctx.client.request({ method: 'GET', path: `${resourcePath(info, namespace)}?limit=1` });
    return true;
  } catch (err) {
    return !(err instanceof KubeApiError && err.statusCode === 404 && err.status.kind !== 'Status');
  }
}

/**
 * The kind of an object planned before its CRD existed. A CRD that gains a
 * version is Established already, from its first version, while the API
 * server still publishes the new one: discovery is read again, and the
 * resource asked, until it serves the kind, for a while, never past the
 * deadline.
 */
export async function servedKind(
  ctx: SyncContext,
  object: { apiVersion: string; kind: string; namespace?: string | undefined },
  deadline: number,
): Promise<ResourceInfo | undefined> {
  const until = Math.min(deadline, Date.now() + SERVED_WAIT_MS);
  for (;;) {
    const info = await ctx.discovery.find(object.apiVersion, object.kind);
    if (info && (await answers(ctx, info, object.namespace))) return info;
    if (Date.now() + SERVED_POLL_MS > until) return undefined;
    await sleep(SERVED_POLL_MS);
    await ctx.discovery.refresh();
  }
}
