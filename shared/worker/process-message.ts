import type { Cluster } from '../config/cluster.ts';
import type { ClusterConnection } from '../kube/client.ts';
import {
  automatedRollbackEvent,
  eventsFor,
  type DriftlessEvent,
  type EventPublisher,
} from '../observability/events.ts';
import type { Notifier } from '../observability/sns-notifier.ts';
import { isPreviewMessage, QueueMessage, type ReconcileMessage } from '../queue/message.ts';
import type { ForgeLookup } from '../forge/types.ts';
import type { MessageOutcome } from './message-outcome.ts';
import { previewMessage } from './preview-message.ts';
import type { AlarmSource } from '../rollback/alarms.ts';
import { runApplication } from '../app-run/run-application.ts';
import type { EngineSettings } from '../engine/settings.ts';
import type { StateTable } from '../state/client.ts';
import { getRegistryEntry, registeredProject } from '../state/registry.ts';
import type { Project } from '../config/project.ts';
import type { ClusterIdentity } from '../kube/connect.ts';
import { identityTarget, projectIdentity, type ProjectRoles } from '../project/identity.ts';
import { isRollout } from '../config/destinations.ts';
import { reconcileRollout, type RolloutInput } from '../rollout/rollout.ts';
import { deadlineSignal, startMarginMs } from './deadline.ts';
import type { CommitStatusReporter } from '../forge/commit-status-reporter.ts';

export interface ReconcilerDeps {
  table: StateTable;
  settings: EngineSettings;
  connect: (cluster: Cluster, identity?: ClusterIdentity) => Promise<ClusterConnection>;
  /** Each project's IAM role (the construct's DRIFTLESS_PROJECT_ROLES); none: Driftless's own identity. */
  projectRoles?: ProjectRoles;
  events: EventPublisher;
  /** Told of every automated rollback (SNS in AWS). */
  notifier?: Notifier;
  /** Where rollback policies' alarms are read (CloudWatch in AWS). */
  alarms?: AlarmSource;
  /** Reports each sync to the commit it synced on the forge; none: no statuses. */
  statuses?: CommitStatusReporter;
  /** Forge clients by repository URL, for pull-request previews; none: previews are dropped. */
  forges?: ForgeLookup;
  /** Forge credentials are configured but unreadable now: previews are retried, not dropped. */
  forgesUnavailable?: string;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export type { MessageOutcome };

/**
 * Handles one queue message: validates it, looks the application up in the
 * registry, reconciles it with its state, and publishes the events. A busy
 * lease means another reconciler is on the same app, possibly on an older
 * commit, so the message is retried rather than dropped: a push must never
 * be lost to a scheduled run that started just before it.
 *
 * With a `deadline` (epoch ms; a Lambda's end), a message is not started
 * when too little time is left, and cluster writes stop shortly before it;
 * either way the message goes back for another invocation.
 */
export async function processMessage(
  body: string,
  owner: string,
  deps: ReconcilerDeps,
  deadline?: number,
): Promise<MessageOutcome> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'dropped', reason: 'message body is not JSON' };
  }
  const parsed = QueueMessage.safeParse(json);
  if (!parsed.success)
    return { kind: 'dropped', reason: `invalid reconcile message: ${parsed.error.message}` };
  if (isPreviewMessage(parsed.data)) return previewMessage(parsed.data, deps, deadline);
  const message = parsed.data;
  if (deadline === undefined) return reconcileMessage(message, owner, deps);
  const left = deadline - Date.now();
  if (left < startMarginMs(deps.settings))
    return {
      kind: 'retry',
      app: message.app,
      reason: `not started: ${Math.max(0, Math.floor(left / 1000))} s left before the reconciler's deadline`,
      retryAfterMs: 0,
    };
  const stop = deadlineSignal(deadline);
  try {
    const outcome = await reconcileMessage(message, owner, deps, stop.signal);
    if (!stop.signal.aborted || outcome.kind === 'dropped' || outcome.kind === 'retry')
      return outcome;
    // Stopped part-way: what it did is recorded; the rest is the next delivery's.
    return {
      kind: 'retry',
      app: message.app,
      reason: "stopped before the reconciler's deadline",
      retryAfterMs: 0,
    };
  } finally {
    stop.clear();
  }
}

const busyRetry = (
  app: string,
  outcome: { holder?: string; retryAfterMs: number },
): MessageOutcome => ({
  kind: 'retry',
  app,
  reason: `busy: held by ${outcome.holder ?? 'another reconciler'}`,
  retryAfterMs: outcome.retryAfterMs,
});

type RunInput = Omit<RolloutInput, 'connect'> & { project: Project };

/** A connection to one of the application's clusters, as its project's identity there. */
function connectAs(input: RunInput, cluster: Cluster, deps: ReconcilerDeps) {
  const target = identityTarget(input.app, cluster);
  return deps.connect(cluster, projectIdentity(input.project, target, deps.projectRoles));
}

/** A rollout's reconcile, its events and the notices of its rollbacks. */
async function rolloutMessage(
  message: ReconcileMessage,
  input: RunInput,
  clusters: Cluster[],
  deps: ReconcilerDeps,
): Promise<MessageOutcome> {
  const outcome = await reconcileRollout({
    ...input,
    connect: (name) => {
      const cluster = clusters.find((c) => c.metadata.name === name);
      if (!cluster) throw new Error(`cluster ${name} is not registered for ${message.app}`);
      return connectAs(input, cluster, deps);
    },
  });
  if (outcome.status === 'busy') return busyRetry(message.app, outcome);
  const events: DriftlessEvent[] = [];
  const notices: DriftlessEvent[] = [];
  for (const run of outcome.status === 'done' ? outcome.runs : []) {
    if (run.outcome.status !== 'done') continue;
    const runEvents = eventsFor(run.outcome, { ...message, trigger: run.trigger });
    events.push(...runEvents);
    const automated = automatedRollbackEvent(run.outcome);
    if (automated) notices.push(automated);
    // Waves the rollout sent back are automated rollbacks too.
    if (run.action?.kind === 'rollback')
      notices.push(...runEvents.filter((e) => e.detailType === 'Rollback Performed'));
  }
  await deps.events.publish(events);
  if (deps.notifier) for (const notice of notices) await deps.notifier.notify(notice);
  if (deps.statuses && outcome.status === 'done')
    for (const run of outcome.runs)
      deps.statuses.finished(input.app, run.key, run.outcome, run.trigger);
  // A destination held by someone else (a CLI sync, say) did not take this
  // push: retry the message, as for a single-cluster application.
  const busyRun =
    outcome.status === 'done' ? outcome.runs.find((r) => r.outcome.status === 'busy') : undefined;
  if (busyRun?.outcome.status === 'busy') return busyRetry(message.app, busyRun.outcome);
  return { kind: 'rollout', app: message.app, outcome, events };
}

/** One application's run on its one cluster, its events and the notice of an automated rollback. */
async function applicationMessage(
  message: ReconcileMessage,
  input: RunInput,
  cluster: Cluster,
  deps: ReconcilerDeps,
): Promise<MessageOutcome> {
  const outcome = await runApplication({
    ...input,
    connect: () => connectAs(input, cluster, deps),
  });
  if (outcome.status === 'busy') return busyRetry(message.app, outcome);
  const events = outcome.status === 'done' ? eventsFor(outcome, message) : [];
  await deps.events.publish(events);
  const automated = outcome.status === 'done' ? automatedRollbackEvent(outcome) : undefined;
  if (automated && deps.notifier) await deps.notifier.notify(automated);
  deps.statuses?.finished(input.app, input.app.metadata.name, outcome, message.trigger);
  return { kind: 'done', app: message.app, outcome, events };
}

/** The registry lookup, reconcile and events of one valid message. */
async function reconcileMessage(
  message: ReconcileMessage,
  owner: string,
  deps: ReconcilerDeps,
  signal?: AbortSignal,
): Promise<MessageOutcome> {
  try {
    const entry = await getRegistryEntry(deps.table, message.app);
    if (!entry) return { kind: 'dropped', reason: `application ${message.app} is not registered` };
    if (entry.error || !entry.app || !(entry.cluster || entry.clusters)) {
      return {
        kind: 'dropped',
        reason: `application ${message.app} is disabled: ${entry.error ?? 'no cluster'}`,
      };
    }
    const project = registeredProject(entry);
    if (!project)
      return {
        kind: 'dropped',
        reason: `application ${message.app} names project ${entry.app.spec.project}, which its registry entry does not hold; the scheduler registers it again on its next tick`,
      };
    const input: RunInput = {
      table: deps.table,
      settings: deps.settings,
      app: entry.app,
      project,
      owner,
      trigger: message.trigger,
      mode: message.mode,
      request: { revision: message.revision, prune: message.prune },
      alarms: deps.alarms,
      signal,
      registeredWatchPaths: entry.watchPaths ?? [],
      ...(deps.statuses
        ? {
            onSyncStart: ({ key, revision }) => deps.statuses!.started(entry.app!, key, revision),
          }
        : {}),
    };
    return isRollout(entry.app)
      ? await rolloutMessage(message, input, entry.clusters ?? [], deps)
      : await applicationMessage(message, input, entry.cluster!, deps);
  } catch (err) {
    // A throttled table or a failed run fails this message only, not its batch.
    return { kind: 'retry', app: message.app, reason: (err as Error).message };
  }
}
