import { engineSettings, type EngineSettings } from '../engine/settings.ts';
import type { AuthCallback } from '../source/index.ts';
import type { FunctionEnv } from './env.ts';

/** The engine's settings for a function, built once per cold start from its environment. */
export function functionSettings(env: FunctionEnv, auth: AuthCallback | undefined): EngineSettings {
  return engineSettings({
    source: { cacheDir: env.SOURCE_CACHE_DIR, auth },
    concurrency: env.RECONCILE_CONCURRENCY,
  });
}
