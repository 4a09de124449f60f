export type Provider = 'github' | 'gitlab' | 'bitbucket' | 'gitea';

/**
 * Which forge sent a request, from its headers. Gitea is checked first because
 * it also sends GitHub's (and Gogs') headers for compatibility; its signature,
 * though, is a bare hex digest that only the Gitea verifier accepts.
 */
export function detectProvider(headers: Headers): Provider | undefined {
  if (headers.has('x-gitea-event') || headers.has('x-gitea-signature')) return 'gitea';
  if (headers.has('x-gitlab-event') || headers.has('x-gitlab-token')) return 'gitlab';
  if (headers.has('x-github-event') || headers.has('x-hub-signature-256')) return 'github';
  if (headers.has('x-event-key')) return 'bitbucket';
  return undefined;
}
