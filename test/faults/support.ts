import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { Application } from '../../shared/config/application.ts';
import type { AppRunInput, AppRunOutcome } from '../../shared/app-run/types.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { KubeClient } from '../../shared/kube/client.ts';
import type { StateTable } from '../../shared/state/client.ts';
import { readInventory } from '../../shared/state/inventory-store.ts';
import {
  APP_ANNOTATION,
  APP_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
} from '../../shared/sync/ownership.ts';
import type { LocalCluster } from '../harness/control-plane.ts';
import { uniqueName } from '../harness/context.ts';

/** `count` ConfigMaps `cm-0000`… in one multi-document file, each holding `value`. */
export function configMaps(count: number, value: string): Record<string, string> {
  const docs = Array.from(
    { length: count },
    (_, i) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${cmName(i)}\ndata:\n  value: "${value}"\n`,
  );
  return { 'app/configmaps.yaml': docs.join('---\n') };
}

export function cmName(i: number): string {
  return `cm-${String(i).padStart(4, '0')}`;
}

export function cmNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => cmName(i));
}

/** An Application on cluster-a whose namespace is its name, pruning, creating the namespace. */
export function faultApp(name: string, repoURL: string, healthTimeout = '60s'): Application {
  return Application.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: {
      source: { repoURL, targetRevision: 'main', path: 'app' },
      destination: { cluster: 'cluster-a', namespace: name },
      syncPolicy: {
        automated: { prune: true, selfHeal: false },
        syncOptions: ['CreateNamespace=true'],
      },
      healthTimeout,
    },
  });
}

/**
 * The input of one runApplication of `app`, reaching cluster-a's API server
 * at `server` (a proxy or a fault point; the cluster's CA and admin token).
 */
export function runInput(
  table: StateTable,
  app: Application,
  c: LocalCluster,
  server: string,
  cacheDir: string,
  extra: Partial<AppRunInput> = {},
): AppRunInput {
  return {
    table,
    app,
    connect: async () => ({ server, ca: readFileSync(c.caFile), token: c.adminToken }),
    owner: uniqueName('fault-run'),
    trigger: { kind: 'manual', by: 'fault-suite' },
    mode: 'sync',
    settings: engineSettings({ source: { cacheDir } }),
    ...extra,
  };
}

interface LiveObject {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
}

/** The ConfigMaps of `namespace`, read straight from the API server (never through a proxy). */
export async function liveConfigMaps(c: LocalCluster, namespace: string): Promise<LiveObject[]> {
  const client = new KubeClient({
    server: c.server,
    ca: readFileSync(c.caFile),
    token: c.adminToken,
  });
  try {
    const list = await client.request<{ items: LiveObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/configmaps`,
    });
    return list.items;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw err;
  } finally {
    client.close();
  }
}

/** How many ConfigMaps of `app` exist in `namespace` now. */
export async function countApplied(c: LocalCluster, namespace: string, app: string) {
  return (await liveConfigMaps(c, namespace)).filter((o) => o.metadata.labels?.[APP_LABEL] === app)
    .length;
}

/** Waits until at least `min` ConfigMaps of `app` exist: the apply is under way. */
export async function untilApplied(
  c: LocalCluster,
  namespace: string,
  app: string,
  min: number,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countApplied(c, namespace, app).catch(() => 0);
    if (n >= min) return n;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${min} applied ConfigMaps of ${app} (have ${n})`);
    await sleep(50);
  }
}

/**
 * The cluster matches the revision and the state knows it: every expected
 * ConfigMap exists with `value` and carries the app's marks; no ConfigMap of
 * the app exists that was not expected; and the inventory lists exactly the
 * expected ones (nothing orphaned, nothing forgotten).
 */
export async function expectConverged(
  c: LocalCluster,
  table: StateTable,
  stateKey: string,
  app: string,
  namespace: string,
  expected: string[],
  value: string,
): Promise<void> {
  const live = await liveConfigMaps(c, namespace);
  const byName = new Map(live.map((o) => [o.metadata.name, o]));
  const missing = expected.filter((n) => !byName.has(n));
  expect(missing, 'expected ConfigMaps missing on the cluster').toEqual([]);
  const unmarked = expected.filter((n) => {
    const m = byName.get(n)!.metadata;
    return (
      m.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE ||
      m.labels?.[APP_LABEL] !== app ||
      m.annotations?.[APP_ANNOTATION] !== app
    );
  });
  expect(unmarked, 'ConfigMaps without the ownership marks').toEqual([]);
  const stale = expected.filter((n) => byName.get(n)!.data?.value !== value);
  expect(stale, `ConfigMaps whose value is not ${value}`).toEqual([]);
  const wanted = new Set(expected);
  const extra = live
    .filter((o) => o.metadata.labels?.[APP_LABEL] === app && !wanted.has(o.metadata.name))
    .map((o) => o.metadata.name);
  expect(extra, 'ConfigMaps of the app that the revision does not declare').toEqual([]);
  const inventory = await readInventory(table, stateKey);
  const listed = (inventory?.entries ?? [])
    .filter((e) => e.kind === 'ConfigMap')
    .map((e) => e.name)
    .sort();
  expect(listed, 'inventory').toEqual([...expected].sort());
}

/** Milliseconds since `started` (performance.now()). */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}

export const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT when it has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error a run ended with: a thrown error's message, or a Failed result's. */
export function runError(outcome: unknown): string {
  if (outcome instanceof Error) return outcome.message;
  const o = outcome as { result?: { status?: string; error?: string } } | undefined;
  return o?.result?.error ?? '';
}

/** The part of the DynamoDB fault proxy (test/integration/fixtures) that armFault drives. */
interface DynamoFaults {
  readonly requests: number;
  fail(errorType: string, count: number, message?: string): void;
  partitioned: boolean;
}

/**
 * Starts a fault at an exact request of the DynamoDB fault proxy: the next
 * `after` requests still pass, every later one meets the fault until
 * `heal()`. The proxy reads `partitioned` once per request as it arrives, so
 * a getter there sees each request in order and can start the fault between
 * two writes of one operation ("mid-write").
 */
export function armFault(
  proxy: DynamoFaults,
  after: number,
  kind: 'partition' | 'throttle',
): { readonly started: boolean; heal(): void } {
  const at = proxy.requests + after;
  let active = false;
  let fired = false;
  let healed = false;
  Object.defineProperty(proxy, 'partitioned', {
    configurable: true,
    get: () => {
      if (!active && !healed && proxy.requests > at) {
        active = true;
        fired = true;
        if (kind === 'throttle')
          proxy.fail(
            'ThrottlingException',
            Number.MAX_SAFE_INTEGER,
            'Rate of requests exceeds the allowed throughput.',
          );
      }
      return active && kind === 'partition';
    },
    set: () => undefined,
  });
  return {
    get started() {
      return fired;
    },
    heal() {
      healed = true;
      active = false;
      proxy.fail('ThrottlingException', 0);
    },
  };
}

/** runApplication until its lease is free (a run that died holds it up to one TTL); the time waited. */
export async function runWhenFree(
  run: () => Promise<AppRunOutcome>,
  timeoutMs: number,
): Promise<{ outcome: AppRunOutcome; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const outcome = await run();
    if (outcome.status !== 'busy') return { outcome, waitedMs: since(started) };
    if (since(started) > timeoutMs)
      throw new Error(`the lease was still held after ${timeoutMs} ms (holder ${outcome.holder})`);
    await sleep(Math.min(Math.max(outcome.retryAfterMs, 100), 1_000));
  }
}
