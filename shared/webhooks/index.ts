export {
  handleWebhook,
  MAX_BODY_BYTES,
  type WebhookOptions,
  type WebhookRequest,
} from './handle-webhook.ts';
export type { WebhookDeps } from './deps.ts';
export type { WebhookResponse } from './response.ts';
export { detectProvider, type Provider } from './providers.ts';
export { toHeaders } from './headers.ts';
export { PayloadError } from './payload-error.ts';
export type { Ignored, PushEvent } from './push-event.ts';
export type { PullRequestEvent } from './pull-request-event.ts';
export { affectedApplications, previewCandidates, type RouteCandidate } from './route.ts';
export { parseDelivery, verifySignature, type Delivery, type Verifier } from './dispatch.ts';
export { verifyGithub } from './verify-github.ts';
export { verifyGitlab } from './verify-gitlab.ts';
export { verifyBitbucket } from './verify-bitbucket.ts';
export { verifyGitea } from './verify-gitea.ts';
export { parseGithub } from './parse-github.ts';
export { parseGitlab } from './parse-gitlab.ts';
export { parseBitbucket } from './parse-bitbucket.ts';
export { parseGitea } from './parse-gitea.ts';
export { parseGithubPullRequest } from './parse-github-pull-request.ts';
export { parseGitlabMergeRequest } from './parse-gitlab-merge-request.ts';
export { parseBitbucketPullRequest } from './parse-bitbucket-pull-request.ts';
export { parseGiteaPullRequest } from './parse-gitea-pull-request.ts';
