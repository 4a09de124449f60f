import { loadConfigDir, type ConfigSet } from '../config/load.ts';
import { fetchSource, type SourceOptions, type SourceSpec } from '../source/index.ts';

/**
 * Applications and clusters are declared in Git too: fetch the configuration
 * repository's path (cached like any source) and load every definition in it.
 */
export async function loadConfigRepo(
  spec: SourceSpec,
  options: SourceOptions,
): Promise<ConfigSet & { revision: string }> {
  const source = await fetchSource(spec, options);
  return { ...loadConfigDir(source.appDir), revision: source.revision };
}
