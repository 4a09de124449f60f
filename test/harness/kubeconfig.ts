import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** Writes a kubeconfig with one cluster, one token user and one context, all named `name`. */
export function writeTokenKubeconfig(
  path: string,
  name: string,
  server: string,
  caFile: string,
  token: string,
  namespace?: string,
): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name, user: { token } }],
    contexts: [
      { name, context: { cluster: name, user: name, ...(namespace ? { namespace } : {}) } },
    ],
    'current-context': name,
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
