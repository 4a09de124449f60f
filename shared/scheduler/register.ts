import { destinationsOf, isRollout } from '../config/destinations.ts';
import type { ConfigSet } from '../config/load.ts';
import { projectOf } from '../config/project-binding.ts';
import type { StateTable } from '../state/client.ts';
import {
  listRegistry,
  listWatchPaths,
  putRegistryEntry,
  putWatchPaths,
  removeRegistryEntry,
} from '../state/registry.ts';

export interface RegistrationReport {
  /** Applications registered and usable. */
  registered: string[];
  /** Applications disabled by an error in their definition (or their cluster's). */
  disabled: { name: string; file: string; error: string }[];
  /** Broken files whose application could not even be named. */
  unattributed: { file: string; error: string }[];
  /** Applications no longer declared; their objects stay in the clusters. */
  removed: string[];
}

/**
 * Makes the registry match the configuration repository. A broken file
 * disables only what it declares: its application (or every application on
 * its cluster) is recorded with the error; everything else stays current.
 */
export async function registerConfig(
  table: StateTable,
  config: ConfigSet,
): Promise<RegistrationReport> {
  const report: RegistrationReport = {
    registered: [],
    disabled: [],
    unattributed: [],
    removed: [],
  };
  const brokenClusters = new Map<string, string>();
  const declared = new Set<string>();
  for (const error of config.errors) {
    if (error.subject?.kind === 'Cluster') brokenClusters.set(error.subject.name, error.message);
    else if (error.subject?.kind === 'Application') {
      declared.add(error.subject.name);
      report.disabled.push({ name: error.subject.name, file: error.file, error: error.message });
      await putRegistryEntry(table, {
        name: error.subject.name,
        file: error.file,
        error: error.message,
      });
    } else {
      report.unattributed.push({ file: error.file, error: error.message });
    }
  }
  for (const [name, { app, file }] of config.applications) {
    declared.add(name);
    // In the file's order, so the error names the entry as written.
    const destinations = app.spec.destinations ?? destinationsOf(app);
    const clusters = destinations.map((d) => config.clusters.get(d.cluster)?.cluster);
    const at = clusters.findIndex((c) => !c);
    const missing = destinations[at]?.cluster;
    const field = isRollout(app) ? `spec.destinations[${at}].cluster` : 'spec.destination.cluster';
    const project = projectOf(app, config.projects);
    const problem = missing
      ? (brokenClusters.get(missing) ?? `${file}: ${field}: cluster "${missing}" is not declared`)
      : `${file}: spec.project: project "${app.spec.project}" is not declared`;
    if (missing || !project) {
      report.disabled.push({ name, file, error: problem });
      await putRegistryEntry(table, { name, file, app, error: problem });
      continue;
    }
    const declaredClusters = clusters.filter((c) => c !== undefined);
    await putRegistryEntry(
      table,
      isRollout(app)
        ? { name, file, app, project, clusters: declaredClusters }
        : { name, file, app, project, cluster: declaredClusters[0]! },
    );
    report.registered.push(name);
  }
  for (const entry of await listRegistry(table)) {
    if (!declared.has(entry.name)) {
      await removeRegistryEntry(table, entry.name);
      report.removed.push(entry.name);
    }
  }
  // A reconcile that finished after its application was removed may have
  // recorded paths again.
  for (const name of (await listWatchPaths(table)).keys()) {
    if (!declared.has(name)) await putWatchPaths(table, name, []);
  }
  return report;
}
