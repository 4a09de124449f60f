import { createHash } from 'node:crypto';
import * as z from 'zod';
import { changedPaths, type FileChange } from './changed-paths.ts';
import { cutText } from './cut-text.ts';
import { ForgeError, ForgeRedirectError } from './forge-error.ts';
import { apiURL, type ForgeHttp } from './forge-http.ts';
import {
  commentBody,
  MAX_LISTED_COMMENTS,
  ownMarkedComment,
  type ListedComment,
} from './marked-comment.ts';
import { once } from './once.ts';
import type { CommitState, CommitStatus, ForgeClient, ForgeRepo } from './types.ts';

/**
 * Bitbucket Cloud over plain requests, not an SDK: four endpoints
 * (statuses, comments, diffstat, the user) all go through forge-http.
 */

/** "key: Ensure this value has at most 40 characters" (Bitbucket's answer; its docs give no limit). */
const KEY_LIMIT = 40;
/**
 * Bitbucket refuses status names and URLs past about 255 and 450
 * characters, as integrations that hit it found; it documents neither. The
 * description is kept to the name's limit: one line needs no more.
 */
const NAME_LIMIT = 255;
const URL_LIMIT = 450;
/** Bitbucket refuses comments of 32768 characters or more (reported; undocumented). */
const COMMENT_LIMIT = 32767;
const PAGE_LENGTH = 100;

const STATE: Record<CommitState, string> = {
  pending: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
};

const User = z.object({ uuid: z.string() });
/** A page of a listing: its `values`, and the absolute URL of the `next` page while there is one. */
const Page = <T extends z.ZodType>(value: T) =>
  z.object({ values: z.array(value), next: z.string().optional() });
const Comment = z.object({
  id: z.number(),
  content: z.object({ raw: z.string().nullable() }),
  deleted: z.boolean().optional(),
  inline: z.unknown().optional(),
  user: z.object({ uuid: z.string() }).nullish(),
});
const Side = z.object({ path: z.string() }).nullish();
const DiffStat = z.object({ old: Side, new: Side });

/**
 * A status key of at most 40 characters that stays the same for the same
 * context, so a later status replaces the earlier one: the context itself
 * when it fits, else its start and a digest of the whole.
 */
function statusKey(context: string): string {
  if (context.length <= KEY_LIMIT) return context;
  const digest = createHash('sha256').update(context).digest('hex').slice(0, 12);
  return `${context.slice(0, KEY_LIMIT - digest.length - 1)}~${digest}`;
}

const nextOf = (page: { next?: string | undefined }) => page.next;

/**
 * `webBase` is the forge's web address (`https://bitbucket.org/`):
 * Bitbucket requires a status URL, so a status without one links to the
 * commit's page.
 */
export function bitbucketClient(http: ForgeHttp, webBase: string): ForgeClient {
  const me = once(async () => (await http.read('/user', User)).value.uuid);
  const repository = ({ owner, name }: ForgeRepo) =>
    `/repositories/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

  const listComments = async (repo: ForgeRepo, id: number): Promise<ListedComment[]> => {
    const myUuid = await me();
    const first = `${repository(repo)}/pullrequests/${id}/comments?pagelen=${PAGE_LENGTH}&sort=created_on`;
    const listed: ListedComment[] = [];
    for await (const page of http.pages(first, Page(Comment), nextOf)) {
      for (const c of page.values) {
        const own = !c.deleted && c.inline === undefined && c.user?.uuid === myUuid;
        listed.push({ id: c.id, body: c.content.raw ?? '', own });
      }
      if (listed.length >= MAX_LISTED_COMMENTS) break;
    }
    return listed;
  };

  /**
   * The pull request's diffstat answers with a redirect to the repository
   * diffstat of its revisions (documented). That one redirect is followed
   * by hand, and only to the same repository's diffstat under the API.
   */
  const diffstatURL = async (repo: ForgeRepo, id: number): Promise<string> => {
    const start = `${repository(repo)}/pullrequests/${id}/diffstat`;
    try {
      await http.json('GET', start);
    } catch (error) {
      const expected = `${apiURL(http.connection, repository(repo))!.pathname}/diffstat/`;
      const location = error instanceof ForgeRedirectError ? error.location : undefined;
      const target = location && apiURL(http.connection, location);
      if (target && target.pathname.startsWith(expected)) return target.href;
      throw error;
    }
    const path = apiURL(http.connection, start)!.pathname;
    throw new ForgeError(
      { forge: 'bitbucket', method: 'GET', path, status: 200 },
      'answered without its redirect',
    );
  };

  async function* changes(repo: ForgeRepo, id: number): AsyncGenerator<FileChange[]> {
    for await (const page of http.pages(await diffstatURL(repo, id), Page(DiffStat), nextOf)) {
      yield page.values.map((d) => [d.old?.path, d.new?.path] as const);
    }
  }

  return {
    kind: 'bitbucket',
    commentLimit: COMMENT_LIMIT,
    async setCommitStatus(repo: ForgeRepo, status: CommitStatus) {
      const fits = status.targetUrl && status.targetUrl.length <= URL_LIMIT;
      const commitPage = `${webBase}${repo.owner}/${repo.name}/commits/${status.sha}`;
      await http.json('POST', `${repository(repo)}/commit/${status.sha}/statuses/build`, {
        key: statusKey(status.context),
        state: STATE[status.state],
        name: cutText(status.context, NAME_LIMIT),
        description: cutText(status.description, NAME_LIMIT),
        url: fits ? status.targetUrl : commitPage,
      });
    },
    async upsertPullRequestComment(repo, id, marker, body) {
      const content = { raw: commentBody(marker, body, COMMENT_LIMIT, 'Bitbucket') };
      const existing = ownMarkedComment(await listComments(repo, id), marker);
      const comments = `${repository(repo)}/pullrequests/${id}/comments`;
      if (existing) await http.json('PUT', `${comments}/${existing.id}`, { content });
      else await http.json('POST', comments, { content });
    },
    pullRequestFiles: (repo, id) => changedPaths(changes(repo, id)),
  };
}
