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
   * Aborted when the run must stop: its lease was lost (DynamoDB writes are
   * fenced, but cluster writes are not), its deadline passed, a Lambda's time
   * is nearly up. Every write phase checks it before each dispatch; the
   * engine binds the client to the same signal (KubeClient.bind), so no
   * request is sent once it is aborted.
   */
  signal?: AbortSignal;
  /**
   * The run's deadline (epoch ms): the signal aborts then, and each phase's
   * own bound (apply timeout, health wait, hook phase) ends by it.
   */
  deadline?: number;
  /**
   * The application's project on this cluster: what it may render, apply
   * and prune. Absent: everything (the built-in default project).
   */
  project?: { project: Project; cluster: string };
}
