import { DeleteItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { Application } from '../config/application.ts';
import { Cluster } from '../config/cluster.ts';
import { BUILT_IN_DEFAULT_PROJECT, DEFAULT_PROJECT_NAME, Project } from '../config/project.ts';
import { normalizeRepoURL } from '../config/repo-url.ts';
import { jsonAttr, numberAttr, stringAttr } from './attributes.ts';
import { call, queryAll, type StateTable } from './client.ts';
import { CorruptStateError } from './errors.ts';
import { REGISTRY_PARTITION, WATCH_PARTITION } from './keys.ts';
import { primarySource } from '../config/sources.ts';

/**
 * The registry of applications declared in the configuration repository, kept
 * current by the scheduler so the webhook can route a push by repository URL
 * and `status` can list every application, each with one Query and without
 * reading Git. Its partitions (REGISTRY_PARTITION, WATCH_PARTITION) are named
 * in keys.ts, with the rest of the table's layout.
 */
const APP_PREFIX = 'APP#';

export interface RegistryEntry {
  name: string;
  /** The validated definition; absent when its file is broken. */
  app?: Application;
  /** The cluster the application deploys to, as declared next to it. */
  cluster?: Cluster;
  /** A rollout's clusters (spec.destinations), one per destination. */
  clusters?: Cluster[];
  /** The project the application runs under, as declared (or built in) when it was registered. */
  project?: Project;
  /** Normalized repository URL, for webhook routing. */
  repoKey?: string;
  /** The definition's file in the configuration repository. */
  file: string;
  /** Why the definition cannot be used; the application is disabled until it is fixed. */
  error?: string;
  /** Paths outside the application's own that its last render read (see SyncResult.watchPaths). */
  watchPaths?: string[];
  updatedAt: number;
}

const itemSchema = z.object({
  sk: stringAttr,
  file: stringAttr,
  updatedAt: numberAttr,
  app: jsonAttr(z.unknown()).optional(),
  cluster: jsonAttr(z.unknown()).optional(),
  clusters: jsonAttr(z.array(z.unknown())).optional(),
  project: jsonAttr(z.unknown()).optional(),
  repoKey: stringAttr.optional(),
  error: stringAttr.optional(),
});

const watchItemSchema = z.object({ sk: stringAttr, paths: jsonAttr(z.array(z.string())) });

const watchKey = (name: string) => ({
  pk: { S: WATCH_PARTITION },
  sk: { S: `${APP_PREFIX}${name}` },
});

/** Records (or replaces) one application's definition, or the error that disables it. */
export async function putRegistryEntry(
  table: StateTable,
  entry: Omit<RegistryEntry, 'updatedAt' | 'repoKey' | 'watchPaths'>,
): Promise<void> {
  const item: Record<string, AttributeValue> = {
    pk: { S: REGISTRY_PARTITION },
    sk: { S: `${APP_PREFIX}${entry.name}` },
    file: { S: entry.file },
    updatedAt: { N: String(table.now()) },
  };
  if (entry.app) {
    item.app = { S: JSON.stringify(entry.app) };
    item.repoKey = { S: normalizeRepoURL(primarySource(entry.app).repoURL) };
  }
  if (entry.cluster) item.cluster = { S: JSON.stringify(entry.cluster) };
  if (entry.clusters) item.clusters = { S: JSON.stringify(entry.clusters) };
  if (entry.project) item.project = { S: JSON.stringify(entry.project) };
  if (entry.error) item.error = { S: entry.error };
  await call(table, { app: entry.name, operation: 'register application' }, (client) =>
    client.send(new PutItemCommand({ TableName: table.tableName, Item: item })),
  );
}

export async function removeRegistryEntry(table: StateTable, name: string): Promise<void> {
  for (const Key of [
    { pk: { S: REGISTRY_PARTITION }, sk: { S: `${APP_PREFIX}${name}` } },
    watchKey(name),
  ]) {
    await call(table, { app: name, operation: 'unregister application' }, (client) =>
      client.send(new DeleteItemCommand({ TableName: table.tableName, Key })),
    );
  }
}

/** Records the paths outside its own that an application's render reads; none removes the record. */
export async function putWatchPaths(
  table: StateTable,
  name: string,
  paths: string[],
): Promise<void> {
  const key = watchKey(name);
  await call(table, { app: name, operation: 'record watched paths' }, (client) =>
    paths.length
      ? client.send(
          new PutItemCommand({
            TableName: table.tableName,
            Item: { ...key, paths: { S: JSON.stringify(paths) } },
          }),
        )
      : client.send(new DeleteItemCommand({ TableName: table.tableName, Key: key })),
  );
}

/**
 * The project a registered application runs under. An entry written before
 * projects existed holds none: the built-in default serves an application in
 * `default`, any other waits for the next registration.
 */
export function registeredProject(entry: RegistryEntry): Project | undefined {
  if (entry.project) return entry.project;
  return entry.app?.spec.project === DEFAULT_PROJECT_NAME ? BUILT_IN_DEFAULT_PROJECT : undefined;
}

/** One registered application, or undefined. */
export async function getRegistryEntry(
  table: StateTable,
  name: string,
): Promise<RegistryEntry | undefined> {
  return (await listRegistry(table, name)).find((e) => e.name === name);
}

function queryPartition(
  table: StateTable,
  pk: string,
  sk: string | undefined,
): Promise<Record<string, AttributeValue>[]> {
  return queryAll(
    table,
    { operation: 'list applications' },
    {
      KeyConditionExpression: sk ? 'pk = :pk AND sk = :sk' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk }, ...(sk ? { ':sk': { S: sk } } : {}) },
    },
  );
}

/** Watched paths by application (or of the one named), whether or not it is still registered. */
export async function listWatchPaths(
  table: StateTable,
  only?: string,
): Promise<Map<string, string[]>> {
  const watched = new Map<string, string[]>();
  for (const raw of await queryPartition(table, WATCH_PARTITION, only && `${APP_PREFIX}${only}`)) {
    const parsed = watchItemSchema.safeParse(raw);
    if (!parsed.success) throw malformed(table, raw, parsed.error);
    watched.set(parsed.data.sk.slice(APP_PREFIX.length), parsed.data.paths);
  }
  return watched;
}

function malformed(
  table: StateTable,
  raw: Record<string, AttributeValue>,
  error: z.ZodError,
): CorruptStateError {
  return new CorruptStateError(
    { table: table.tableName, operation: 'list applications' },
    `registry item ${JSON.stringify(raw.sk)} is malformed: ${error.message}`,
  );
}

/** Every registered application (or the one named), sorted by name. */
export async function listRegistry(table: StateTable, only?: string): Promise<RegistryEntry[]> {
  const entries: RegistryEntry[] = [];
  const [items, watched] = await Promise.all([
    queryPartition(table, REGISTRY_PARTITION, only && `${APP_PREFIX}${only}`),
    listWatchPaths(table, only),
  ]);
  for (const raw of items) {
    const parsed = itemSchema.safeParse(raw);
    if (!parsed.success) throw malformed(table, raw, parsed.error);
    const { sk, file, updatedAt, app, cluster, clusters, project, repoKey, error } = parsed.data;
    const name = sk.slice(APP_PREFIX.length);
    const entry: RegistryEntry = { name, file, updatedAt };
    if (app !== undefined) {
      const definition = Application.safeParse(app);
      if (definition.success) entry.app = definition.data;
      else entry.error = `stored definition no longer validates: ${definition.error.message}`;
    }
    if (cluster !== undefined) {
      const definition = Cluster.safeParse(cluster);
      if (definition.success) entry.cluster = definition.data;
      else entry.error = `stored cluster no longer validates: ${definition.error.message}`;
    }
    if (clusters !== undefined) {
      const definitions = z.array(Cluster).safeParse(clusters);
      if (definitions.success) entry.clusters = definitions.data;
      else entry.error = `stored clusters no longer validate: ${definitions.error.message}`;
    }
    if (project !== undefined) {
      const definition = Project.safeParse(project);
      if (definition.success) entry.project = definition.data;
      else entry.error = `stored project no longer validates: ${definition.error.message}`;
    }
    if (repoKey) entry.repoKey = repoKey;
    if (error) entry.error = error;
    entries.push(entry);
  }
  for (const entry of entries) {
    const paths = watched.get(entry.name);
    if (paths?.length) entry.watchPaths = paths;
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}
