import * as z from 'zod';

/**
 * Bitbucket Cloud's request shapes for the endpoints the client uses,
 * from Bitbucket's REST documentation
 * (https://developer.atlassian.com/cloud/bitbucket/rest/). Its published
 * OpenAPI file is not on this machine (and is known not to validate:
 * BCLOUD-17601). Lists are paged with `page` and `pagelen`, "most
 * endpoints" at most 100:
 * https://developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination;
 * `q` and `sort` filter and order them:
 * https://developer.atlassian.com/cloud/bitbucket/rest/intro/#filtering
 */

const listing = {
  page: z.coerce.number().int().positive().optional(),
  pagelen: z.coerce.number().int().positive().max(100).optional(),
  q: z.string().optional(),
  sort: z.string().optional(),
};

/** "The workspace ID (slug) or the workspace UUID surrounded by curly-braces", likewise the repository. */
const repository = { workspace: z.string().min(1), repo_slug: z.string().min(1) };

export const NoParams = z.strictObject({});
export const NoQuery = z.strictObject({});

/**
 * https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses/#api-repositories-workspace-repo-slug-commit-commit-statuses-build-post
 * `key` at most 40 characters and `url` a valid URL are Bitbucket's own
 * answers ("Ensure this value has at most 40 characters", "Enter a valid
 * URL."); the page lists the fields without limits.
 */
export const StatusParams = z.strictObject({
  ...repository,
  commit: z.string().regex(/^[0-9a-f]{40}$/),
});
export const StatusBody = z.strictObject({
  key: z.string().min(1).max(40),
  state: z.enum(['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED']),
  url: z.url(),
  name: z.string().max(255).optional(),
  description: z.string().optional(),
  refname: z.string().optional(),
});

/** https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-pull-request-id-comments-get */
export const PullRequestParams = z.strictObject({
  ...repository,
  pull_request_id: z.coerce.number().int().positive(),
});
export const CommentsQuery = z.strictObject(listing);

/**
 * https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-pull-request-id-comments-post
 * (and its PUT): the comment's `content.raw`; `parent` and `inline` for replies and code comments.
 */
export const CommentBody = z.strictObject({
  content: z.strictObject({ raw: z.string() }),
  parent: z.strictObject({ id: z.number().int() }).optional(),
  inline: z
    .strictObject({
      path: z.string(),
      from: z.number().int().optional(),
      to: z.number().int().optional(),
    })
    .optional(),
});
export const CommentParams = z.strictObject({
  ...PullRequestParams.shape,
  comment_id: z.coerce.number().int().positive(),
});

/**
 * https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commits/#api-repositories-workspace-repo-slug-diffstat-spec-get
 * (where the pull request's diffstat redirects: "Redirects to the repository diffstat with the revspec").
 */
export const DiffstatParams = z.strictObject({ ...repository, spec: z.string().min(1) });
export const DiffstatQuery = z.strictObject({
  page: listing.page,
  pagelen: z.coerce.number().int().positive().optional(),
  ignore_whitespace: z.enum(['true', 'false']).optional(),
  merge: z.enum(['true', 'false']).optional(),
  path: z.string().optional(),
  renames: z.enum(['true', 'false']).optional(),
  topic: z.enum(['true', 'false']).optional(),
});
