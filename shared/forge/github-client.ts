import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import * as z from 'zod';
import { changedPaths, type FileChange } from './changed-paths.ts';
import { cutText } from './cut-text.ts';
import type { ForgeCredential } from './forge-credential.ts';
import { ForgeError, forgeMessage, redact } from './forge-error.ts';
import type { ForgeConnection } from './forge-http.ts';
import {
  commentBody,
  MAX_LISTED_COMMENTS,
  ownMarkedComment,
  type ListedComment,
} from './marked-comment.ts';
import { forgeFetch } from './octokit-fetch.ts';
import { once } from './once.ts';
import type { CommitStatus, ForgeClient, ForgeRepo } from './types.ts';

/** GitHub refuses a status description longer than this. */
const DESCRIPTION_LIMIT = 140;
/** "Body is too long (maximum is 65536 characters)". */
const COMMENT_LIMIT = 65536;
const PER_PAGE = 100;

export type GitHubCredential = Extract<ForgeCredential, { type: 'github' | 'github-app' }>;

interface CommentAuthor {
  user?: { id: number; login: string; type: string } | null;
  performed_via_github_app?: { id: number } | null;
}

/** Octokit's RequestError, read by shape: the package is octokit's own dependency, not ours. */
const OctokitError = z.object({
  status: z.number(),
  request: z.object({ method: z.string(), url: z.string() }),
  response: z.object({ data: z.unknown() }),
});

function asForgeError(error: unknown, connection: ForgeConnection): unknown {
  if (error instanceof ForgeError) return error;
  // What forgeFetch threw (a redirect, a timeout), wrapped by octokit.
  if (error instanceof Error && error.cause instanceof ForgeError) return error.cause;
  const parsed = OctokitError.safeParse(error);
  if (!parsed.success) return error;
  const { status, request, response } = parsed.data;
  const body = typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
  const path = URL.parse(request.url)?.pathname ?? request.url;
  const details = { forge: 'github' as const, method: request.method, path, status };
  return new ForgeError(details, redact(forgeMessage(body), connection.secrets));
}

const ignore = () => {};

function octokitFor(credential: GitHubCredential, connection: ForgeConnection): Octokit {
  const common = {
    baseUrl: connection.apiBase,
    userAgent: 'driftless',
    request: { fetch: forgeFetch(connection) },
    // Octokit's request log would print every failure once more; the caller reports it.
    log: { debug: ignore, info: ignore, warn: console.warn, error: ignore },
  };
  if (credential.type === 'github') return new Octokit({ ...common, auth: credential.token });
  const { appId, privateKey, installationId } = credential;
  return new Octokit({
    ...common,
    authStrategy: createAppAuth,
    auth: { appId, privateKey, installationId },
  });
}

/**
 * Which comments the credential wrote. A token: the user `GET /user`
 * names. An App: its bot (`<slug>[bot]`, a user of type Bot, which no
 * person can be), or a Bot comment made through the App; a person's comment
 * made through the App (user-to-server) is theirs, not ours.
 */
function ownership(
  octokit: Octokit,
  credential: GitHubCredential,
): () => Promise<(c: CommentAuthor) => boolean> {
  return once(async () => {
    if (credential.type === 'github') {
      const { data } = await octokit.rest.users.getAuthenticated();
      return (c) => c.user?.id === data.id;
    }
    const { data } = await octokit.rest.apps.getAuthenticated();
    const bot = data?.slug ? `${data.slug}[bot]` : undefined;
    return (c) =>
      c.user?.type === 'Bot' &&
      (c.performed_via_github_app?.id === credential.appId || c.user.login === bot);
  });
}

/** GitHub through octokit, with every request made by forgeFetch (see octokit-fetch.ts). */
export function githubClient(
  credential: GitHubCredential,
  connection: ForgeConnection,
): ForgeClient {
  const octokit = octokitFor(credential, connection);
  const isOwn = ownership(octokit, credential);
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw asForgeError(error, connection);
    }
  };

  const listComments = async (
    { owner, name }: ForgeRepo,
    issue: number,
  ): Promise<ListedComment[]> => {
    const own = await isOwn();
    const route = octokit.rest.issues.listComments;
    const pages = octokit.paginate.iterator(route, {
      owner,
      repo: name,
      issue_number: issue,
      per_page: PER_PAGE,
    });
    const listed: ListedComment[] = [];
    for await (const { data } of pages) {
      listed.push(...data.map((c) => ({ id: c.id, body: c.body ?? '', own: own(c) })));
      if (listed.length >= MAX_LISTED_COMMENTS) break;
    }
    return listed;
  };

  async function* fileChanges(
    { owner, name }: ForgeRepo,
    pull: number,
  ): AsyncGenerator<FileChange[]> {
    const route = octokit.rest.pulls.listFiles;
    const pages = octokit.paginate.iterator(route, {
      owner,
      repo: name,
      pull_number: pull,
      per_page: PER_PAGE,
    });
    for await (const { data } of pages)
      yield data.map((f) => [f.previous_filename, f.filename] as const);
  }

  return {
    kind: 'github',
    commentLimit: COMMENT_LIMIT,
    setCommitStatus: (repo: ForgeRepo, status: CommitStatus) =>
      call(async () => {
        await octokit.rest.repos.createCommitStatus({
          owner: repo.owner,
          repo: repo.name,
          sha: status.sha,
          state: status.state,
          context: status.context,
          description: cutText(status.description, DESCRIPTION_LIMIT),
          ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        });
      }),
    upsertPullRequestComment: (repo, number, marker, body) =>
      call(async () => {
        const text = commentBody(marker, body, COMMENT_LIMIT, 'GitHub');
        const existing = ownMarkedComment(await listComments(repo, number), marker);
        const target = { owner: repo.owner, repo: repo.name };
        if (existing)
          await octokit.rest.issues.updateComment({
            ...target,
            comment_id: existing.id,
            body: text,
          });
        else
          await octokit.rest.issues.createComment({ ...target, issue_number: number, body: text });
      }),
    pullRequestFiles: (repo, number) => call(() => changedPaths(fileChanges(repo, number))),
  };
}
