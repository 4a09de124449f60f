import type { Application } from '../config/application.ts';
import type { Cluster } from '../config/cluster.ts';
import type { Project } from '../config/project.ts';
import type { ReconcileQueue } from '../queue/message.ts';
import type { StateTable } from '../state/client.ts';
import type { RegistryEntry } from '../state/registry.ts';
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
  /** Compare an application with its cluster now (a dry run), as its project (dry-run-diff.ts). */
  diff(run: {
    app: Application;
    cluster: Cluster;
    project: Project;
    previous: Inventory | undefined;
  }): Promise<SyncResult>;
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
