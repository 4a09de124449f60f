import type { Application } from '../config/application.ts';
import type { Cluster } from '../config/cluster.ts';
import type { Health } from '../health/status.ts';
import type { Project } from '../config/project.ts';
import type { ReconcileQueue } from '../queue/message.ts';
import type { AlarmSource } from '../rollback/alarms.ts';
import type { StateTable } from '../state/client.ts';
import type { RegistryEntry } from '../state/registry.ts';
import type { ObjectRef } from '../kube/object.ts';
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
  /** The request's If-None-Match header: a GET whose answer has not changed gets 304 (etag.ts). */
  ifNoneMatch?: string;
}

export interface ApiResponse {
  statusCode: number;
  body: unknown;
  /** Headers beyond the content type (ETag and Cache-Control on GET answers). */
  headers?: Record<string, string>;
}

/**
 * One live object as the resource tree shows it: who it is, who owns it and
 * how healthy it is. Never its body: a Secret's data cannot reach the answer.
 */
export interface LiveObject extends ObjectRef {
  /** False for an inventory object that is missing from the cluster. */
  live: boolean;
  uid?: string;
  /** The uids of its owners (ownerReferences). */
  owners: string[];
  health: Health;
  createdAt?: string;
}

export interface ApiDeps {
  table: StateTable;
  queue: ReconcileQueue;
  /** Compare an application with its cluster now (a dry run), as its project (dry-run-diff.ts). */
  diff(run: {
    app: Application;
    cluster: Cluster;
    project: Project;
    previous: Inventory | undefined;
  }): Promise<SyncResult>;
  /** The live objects of an inventory and the ReplicaSets and Pods they own, read as the project (live-objects.ts). */
  liveObjects(run: {
    app: Application;
    cluster: Cluster;
    project: Project;
    inventory: ObjectRef[];
  }): Promise<LiveObject[]>;
  /** Where the rollout route reads alarm states; absent, they show as Unreadable. */
  alarms?: AlarmSource;
  now?: () => number;
  /**
   * The projects a browser caller may see (browser-principal.ts); without it,
   * every project (an IAM caller). An application of another project, or with
   * no known project, answers exactly as an unknown one.
   */
  allowedProjects?: ReadonlySet<string>;
}

/** What a route of one application gets: the request, the deps and the application's registry entry. */
export interface AppRoute {
  req: ApiRequest;
  deps: ApiDeps;
  name: string;
  entry: RegistryEntry;
  now: number;
}
