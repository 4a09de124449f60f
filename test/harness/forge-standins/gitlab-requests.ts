import * as z from 'zod';

/**
 * GitLab's request shapes for the endpoints the client uses, from GitLab's
 * REST documentation (its OpenAPI description, doc/api/openapi in GitLab's
 * repository, is not on this machine). Pagination on every list:
 * https://docs.gitlab.com/api/rest/#pagination (`page`, `per_page` of at
 * most 100).
 */

const page = {
  page: z.coerce.number().int().positive().optional(),
  per_page: z.coerce.number().int().positive().max(100).optional(),
};

/** "The ID or URL-encoded path of the project": https://docs.gitlab.com/api/rest/#namespaced-paths */
const project = z.string().min(1);
const iid = z.coerce.number().int().positive();

export const NoParams = z.strictObject({});
export const NoQuery = z.strictObject({});

/** https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit */
export const StatusParams = z.strictObject({
  id: project,
  sha: z.string().regex(/^[0-9a-f]{40}$/),
});
export const StatusBody = z.strictObject({
  state: z.enum(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']),
  ref: z.string().max(255).optional(),
  name: z.string().optional(),
  context: z.string().optional(),
  target_url: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  coverage: z.number().optional(),
  pipeline_id: z.number().int().optional(),
});

/** https://docs.gitlab.com/api/notes/#list-all-merge-request-notes */
export const MergeRequestParams = z.strictObject({ id: project, merge_request_iid: iid });
export const NotesQuery = z.strictObject({
  sort: z.enum(['asc', 'desc']).optional(),
  order_by: z.enum(['created_at', 'updated_at']).optional(),
  ...page,
});

/** https://docs.gitlab.com/api/notes/#create-new-merge-request-note: the body "limited to 1,000,000 characters". */
export const NoteBody = z.strictObject({
  body: z.string().min(1).max(1_000_000),
  internal: z.boolean().optional(),
  created_at: z.string().optional(),
  merge_request_diff_head_sha: z.string().optional(),
});

/** https://docs.gitlab.com/api/notes/#modify-existing-merge-request-note */
export const NoteParams = z.strictObject({
  id: project,
  merge_request_iid: iid,
  note_id: z.coerce.number().int(),
});
export const NoteUpdate = z.strictObject({ body: z.string().min(1).max(1_000_000) });

/** https://docs.gitlab.com/api/merge_requests/#list-merge-request-diffs */
export const DiffsQuery = z.strictObject({
  ...page,
  unidiff: z.enum(['true', 'false']).optional(),
});

/** https://docs.gitlab.com/api/merge_requests/#get-single-mr */
export const MergeRequestQuery = z.strictObject({
  render_html: z.enum(['true', 'false']).optional(),
  include_diverged_commits_count: z.enum(['true', 'false']).optional(),
  include_rebase_in_progress: z.enum(['true', 'false']).optional(),
});
