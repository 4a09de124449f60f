import type { Project } from '../config/project.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Discovery } from '../kube/discovery.ts';

/** What every sync step needs to talk to one cluster on behalf of one application. */
export interface SyncContext {
  client: KubeClient;
  discovery: Discovery;
  app: string;
  /** Namespace for namespaced objects that name none. */
  namespace?: string;
  /** Requests in flight at once for dry-runs, applies and reads. */
  concurrency: number;
  /**
   * Aborted when the application's lease is lost: DynamoDB writes are fenced,
   * but cluster writes are not, so every write phase checks this first.
   */
  signal?: AbortSignal;
  /**
   * The application's project on this cluster: what it may render, apply
   * and prune. Absent: everything (the built-in default project).
   */
  project?: { project: Project; cluster: string };
}
