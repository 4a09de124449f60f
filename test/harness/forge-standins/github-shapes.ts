/**
 * GitHub's response objects with every field the published description
 * requires, so the stand-in's answers pass the same validation as the
 * requests made to it (see github-standin.ts).
 */

export interface GitHubActor {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface GitHubAppInfo {
  id: number;
  slug: string;
}

const WEB = 'https://github.example';

export function simpleUser(api: string, actor: GitHubActor) {
  const url = `${api}/users/${encodeURIComponent(actor.login)}`;
  return {
    login: actor.login,
    id: actor.id,
    node_id: `U_${actor.id}`,
    avatar_url: `${WEB}/avatars/${actor.id}`,
    gravatar_id: '',
    url,
    html_url: `${WEB}/${encodeURIComponent(actor.login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: actor.type,
    site_admin: false,
  };
}

/** `GET /user`: the public-user shape. */
export function publicUser(api: string, actor: GitHubActor, at: string) {
  return {
    ...simpleUser(api, actor),
    name: actor.login,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: at,
    updated_at: at,
  };
}

/** `GET /app` and `performed_via_github_app`: an integration. */
export function integration(api: string, app: GitHubAppInfo, owner: GitHubActor, at: string) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: `A_${app.id}`,
    owner: simpleUser(api, owner),
    name: app.slug,
    description: null,
    external_url: `${WEB}/apps/${app.slug}`,
    html_url: `${WEB}/apps/${app.slug}`,
    created_at: at,
    updated_at: at,
    permissions: { issues: 'write', statuses: 'write', pull_requests: 'read' },
    events: [],
  };
}

export interface StoredComment {
  id: number;
  body: string;
  author: GitHubActor;
  /** Set when an App's installation wrote it. */
  app: GitHubAppInfo | undefined;
  createdAt: string;
  updatedAt: string;
}

export function issueComment(
  api: string,
  repo: string,
  issue: number,
  c: StoredComment,
  appOwner: GitHubActor,
) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${api}/repos/${repo}/issues/comments/${c.id}`,
    html_url: `${WEB}/${repo}/pull/${issue}#issuecomment-${c.id}`,
    issue_url: `${api}/repos/${repo}/issues/${issue}`,
    body: c.body,
    user: simpleUser(api, c.author),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: 'CONTRIBUTOR',
    performed_via_github_app: c.app ? integration(api, c.app, appOwner, c.createdAt) : null,
  };
}

export interface StoredStatus {
  id: number;
  state: string;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: GitHubActor;
  at: string;
}

export function commitStatus(api: string, repo: string, sha: string, s: StoredStatus) {
  return {
    url: `${api}/repos/${repo}/statuses/${sha}`,
    avatar_url: null,
    id: s.id,
    node_id: `SC_${s.id}`,
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.at,
    updated_at: s.at,
    creator: simpleUser(api, s.creator),
  };
}

export interface ChangedFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  previous_filename?: string;
}

export function diffEntry(repo: string, file: ChangedFile, index: number) {
  const sha = index.toString(16).padStart(40, '0');
  return {
    sha,
    filename: file.filename,
    status: file.status,
    additions: 1,
    deletions: 0,
    changes: 1,
    blob_url: `${WEB}/${repo}/blob/${sha}/${file.filename}`,
    raw_url: `${WEB}/${repo}/raw/${sha}/${file.filename}`,
    contents_url: `${WEB}/${repo}/contents/${file.filename}`,
    ...(file.previous_filename ? { previous_filename: file.previous_filename } : {}),
  };
}
