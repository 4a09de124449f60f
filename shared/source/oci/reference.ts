/** Where an OCI repository lives: `oci://REGISTRY/PATH` split, and how to reach the registry. */
export interface OciRepository {
  /** `host[:port]` as written. */
  registry: string;
  /** The repository path inside the registry (`team/charts/web`). */
  repository: string;
  /** `https://host[:port]`; plain HTTP only for a loopback registry (local mode, tests). */
  base: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/;

/** Parses `oci://registry/path[/more]`, appending `extra` (a chart's name) to the path. */
export function ociRepository(repoURL: string, extra?: string): OciRepository {
  const match = /^oci:\/\/([^/]+)\/(.+?)\/?$/.exec(repoURL);
  if (!match) throw new Error(`${repoURL} is not an oci://REGISTRY/REPOSITORY reference`);
  const [, registry, path] = match as unknown as [string, string, string];
  const repository = extra ? `${path}/${extra}` : path;
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(repository))
    throw new Error(`${repository} is not a valid OCI repository name (lowercase, / separated)`);
  const scheme = LOOPBACK.test(registry) ? 'http' : 'https';
  return { registry, repository, base: `${scheme}://${registry}` };
}

/** The URL credentials are looked up by: HTTPS, so the Git credential scopes apply unchanged. */
export function credentialURL(repo: OciRepository): string {
  return `https://${repo.registry}/${repo.repository}`;
}
