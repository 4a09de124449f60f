import * as z from 'zod';
import type { Application } from '../config/application.ts';
import type { Cluster } from '../config/cluster.ts';
import {
  resolveRollbackTarget,
  rollbackHistoryKey,
  RollbackTargetError,
} from '../control/rollback-target.ts';
import {
  destinationKey,
  destinationsOf,
  forDestination,
  isRollout,
} from '../config/destinations.ts';
import { setSuspended } from '../control/suspend.ts';
import type { ReconcileQueue } from '../queue/message.ts';
import { destinationHistories, destinationStates } from '../rollout/destination-states.ts';
import type { StateTable } from '../state/client.ts';
import { readApp } from '../state/head.ts';
import { listHistory } from '../state/history.ts';
import { readInventory } from '../state/inventory-store.ts';
import { getRegistryEntry, listRegistry, type RegistryEntry } from '../state/registry.ts';
import type { Inventory } from '../sync/inventory.ts';
import type { SyncResult } from '../sync/result.ts';

export interface ApiRequest {
  method: string;
  path: string;
  /** Query string parameters (`GET /apps/NAME/diff?destination=CLUSTER`). */
  query?: Record<string, string | undefined>;
  body?: string;
  /** Who is calling (the IAM principal ARN), recorded as the trigger of what they start. */
  caller: string;
  requestId: string;
}

export interface ApiResponse {
  statusCode: number;
  body: unknown;
}

export interface ApiDeps {
  table: StateTable;
  queue: ReconcileQueue;
  /** Compare an application with its cluster now (a dry run). */
  diff(app: Application, cluster: Cluster, previous: Inventory | undefined): Promise<SyncResult>;
  now?: () => number;
}

const RollbackBody = z.strictObject({
  revision: z.string().min(4).optional(),
  seq: z.number().int().positive().optional(),
});
const SuspendBody = z.strictObject({ reason: z.string().max(500).optional() });

function error(statusCode: number, message: string): ApiResponse {
  return { statusCode, body: { message } };
}

function parseBody<S extends z.ZodType>(
  schema: S,
  body: string | undefined,
): z.output<S> | ApiResponse {
  let json: unknown = {};
  if (body) {
    try {
      json = JSON.parse(body);
    } catch {
      return error(400, 'request body is not JSON');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return error(
      400,
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

function isResponse(value: unknown): value is ApiResponse {
  return typeof value === 'object' && value !== null && 'statusCode' in value;
}

async function summary(deps: ApiDeps, entry: RegistryEntry): Promise<Record<string, unknown>> {
  const record = await readApp(deps.table, entry.name);
  return {
    name: entry.name,
    file: entry.file,
    ...(entry.app?.spec.destination
      ? {
          cluster: entry.app.spec.destination.cluster,
          namespace: entry.app.spec.destination.namespace,
        }
      : {}),
    ...(entry.app && isRollout(entry.app)
      ? { destinations: await destinationStates(deps.table, entry.app) }
      : {}),
    ...(entry.app
      ? {
          repoURL: entry.app.spec.source.repoURL,
          path: entry.app.spec.source.path,
          targetRevision: entry.app.spec.source.targetRevision,
          automated: Boolean(entry.app.spec.syncPolicy.automated),
        }
      : {}),
    ...(entry.error ? { disabled: entry.error } : {}),
    state: record?.state ?? null,
    syncing: Boolean(record?.lease && record.lease.expiresAt > (deps.now ?? Date.now)()),
  };
}

/**
 * The API's routes, independent of API Gateway: list, show, diff, sync,
 * history, rollback, suspend and resume. Writes go through the queue (sync,
 * rollback) or the lease (suspend, resume), never around them.
 */
export async function handleApi(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const now = (deps.now ?? Date.now)();
  const segments = req.path.replace(/^\/+|\/+$/g, '').split('/');
  if (segments[0] !== 'apps') return error(404, `no route ${req.method} ${req.path}`);
  if (segments.length === 1 && req.method === 'GET') {
    const entries = await listRegistry(deps.table);
    return {
      statusCode: 200,
      body: { apps: await Promise.all(entries.map((e) => summary(deps, e))) },
    };
  }
  const name = segments[1] ?? '';
  const action = segments[2];
  const route = `${req.method} ${action ?? ''}`;
  const known = [
    'GET ',
    'GET diff',
    'POST sync',
    'GET history',
    'POST rollback',
    'POST suspend',
    'POST resume',
  ];
  if (segments.length > 3 || !known.includes(route))
    return error(404, `no route ${req.method} ${req.path}`);
  const entry = await getRegistryEntry(deps.table, name);
  if (!entry) return error(404, `application ${name} is not registered`);

  switch (route) {
    case 'GET ':
      return { statusCode: 200, body: await summary(deps, entry) };
    case 'GET history':
      if (entry.app && isRollout(entry.app)) {
        const destinations = await destinationHistories(deps.table, entry.app);
        return { statusCode: 200, body: { app: name, destinations } };
      }
      return { statusCode: 200, body: { app: name, history: await listHistory(deps.table, name) } };
    case 'GET diff': {
      if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
      const wanted = req.query?.destination;
      const clusters = destinationsOf(entry.app).map((d) => d.cluster);
      if (isRollout(entry.app)) {
        if (!wanted)
          return error(
            400,
            `application ${name} rolls out to several clusters (${clusters.join(', ')}): ask for one with ?destination=CLUSTER`,
          );
        const chosen = destinationsOf(entry.app).find((d) => d.cluster === wanted);
        if (!chosen)
          return error(
            400,
            `application ${name} has no destination on cluster "${wanted}" (its destinations: ${clusters.join(', ')})`,
          );
        const cluster = entry.clusters?.find((c) => c.metadata.name === wanted);
        if (!cluster) return error(409, `application ${name} is disabled: ${entry.error}`);
        const result = await deps.diff(
          forDestination(entry.app, chosen),
          cluster,
          await readInventory(deps.table, destinationKey(name, wanted)),
        );
        return { statusCode: 200, body: result };
      }
      if (wanted !== undefined && wanted !== clusters[0])
        return error(
          400,
          `application ${name} deploys to cluster "${clusters[0]}" only, not to "${wanted}"`,
        );
      if (!entry.cluster) return error(409, `application ${name} is disabled: ${entry.error}`);
      const result = await deps.diff(
        entry.app,
        entry.cluster,
        await readInventory(deps.table, name),
      );
      return { statusCode: 200, body: result };
    }
    case 'POST sync': {
      if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
      await deps.queue.send([
        {
          message: {
            app: name,
            mode: 'sync',
            trigger: { kind: 'manual', by: req.caller },
            enqueuedAt: now,
          },
        },
      ]);
      return { statusCode: 202, body: { message: `sync of ${name} queued` } };
    }
    case 'POST rollback': {
      const body = parseBody(RollbackBody, req.body);
      if (isResponse(body)) return body;
      try {
        if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
        const target = await resolveRollbackTarget(deps.table, rollbackHistoryKey(entry.app), body);
        await deps.queue.send([
          {
            message: {
              app: name,
              mode: 'sync',
              revision: target.revision,
              trigger: {
                kind: 'rollback',
                by: req.caller,
                // A rollout's destinations each have their own history numbers.
                ...(isRollout(entry.app) ? {} : { rollbackOf: target.seq }),
              },
              enqueuedAt: now,
            },
          },
        ]);
        return {
          statusCode: 202,
          body: {
            message: `rollback of ${name} to ${target.revision} (history ${target.seq}) queued`,
            revision: target.revision,
            seq: target.seq,
          },
        };
      } catch (err) {
        if (err instanceof RollbackTargetError) return error(409, err.message);
        throw err;
      }
    }
    case 'POST suspend':
    case 'POST resume': {
      const body = parseBody(SuspendBody, req.body);
      if (isResponse(body)) return body;
      const suspend = action === 'suspend';
      const outcome = await setSuspended(deps.table, name, suspend, {
        by: req.caller,
        owner: `api/${req.requestId}`,
        ...(body.reason ? { reason: body.reason } : {}),
      });
      if (outcome.status === 'busy')
        return error(
          409,
          `application ${name} is being reconciled; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s`,
        );
      return { statusCode: 200, body: { app: name, suspended: suspend } };
    }
  }
  return error(404, `no route ${req.method} ${req.path}`);
}
