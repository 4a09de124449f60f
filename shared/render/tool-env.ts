import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A scratch HOME for one tool run: the tool reads no user configuration
 * (kubeconfig, Helm repositories, plugins) and writes nothing that outlives the run.
 */
export async function withScratchHome<T>(
  run: (home: string, env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'driftless-render-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_DATA_HOME: join(home, 'data'),
  };
  try {
    return await run(home, env);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * For a tool that must not reach the network: Git may use no transport, and
 * HTTP clients that honour the proxy variables (Go's, Git's) are sent to a
 * port where nothing listens.
 */
export const NO_NETWORK_ENV: Record<string, string> = {
  GIT_ALLOW_PROTOCOL: 'none',
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '',
  no_proxy: '',
};
