import { bitbucketClient } from './bitbucket-client.ts';
import { kindOf, type ScopedForgeCredential } from './forge-credential.ts';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  ForgeHttp,
  type ForgeConnection,
} from './forge-http.ts';
import { giteaClient } from './gitea-client.ts';
import { githubClient } from './github-client.ts';
import { gitlabClient } from './gitlab-client.ts';
import type { ForgeClient } from './types.ts';

export interface ClientOptions {
  /** Per request, body included (default 10 s). */
  timeoutMs: number;
  /** Largest response body read (default 5 MiB). */
  maxResponseBytes: number;
}

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** The client a scoped credential calls for; its secrets are what every error message is cleaned of. */
export function createForgeClient(
  entry: ScopedForgeCredential,
  options: Partial<ClientOptions>,
): ForgeClient {
  const { credential } = entry;
  const connection = (secrets: string[]): ForgeConnection => ({
    forge: kindOf(credential),
    apiBase: entry.apiBase,
    secrets,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });
  switch (credential.type) {
    case 'github':
      return githubClient(credential, connection([credential.token]));
    case 'github-app':
      return githubClient(credential, connection([credential.privateKey]));
    case 'gitlab':
      return gitlabClient(
        new ForgeHttp(connection([credential.token]), { 'private-token': credential.token }),
      );
    case 'gitea':
      return giteaClient(
        new ForgeHttp(connection([credential.token]), {
          authorization: `token ${credential.token}`,
        }),
      );
    case 'bitbucket': {
      const web = `${entry.scope.origin}${entry.webRoot}`;
      if ('token' in credential) {
        const auth = { authorization: `Bearer ${credential.token}` };
        return bitbucketClient(new ForgeHttp(connection([credential.token]), auth), web);
      }
      const auth = { authorization: basic(credential.username, credential.appPassword) };
      return bitbucketClient(new ForgeHttp(connection([credential.appPassword]), auth), web);
    }
  }
}
