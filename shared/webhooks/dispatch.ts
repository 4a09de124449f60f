import { deliveryIdFrom } from './headers.ts';
import { BITBUCKET_DELIVERY_HEADERS, parseBitbucket } from './parse-bitbucket.ts';
import {
  isBitbucketPullRequest,
  parseBitbucketPullRequest,
} from './parse-bitbucket-pull-request.ts';
import { GITEA_DELIVERY_HEADERS, parseGitea } from './parse-gitea.ts';
import { isGiteaPullRequest, parseGiteaPullRequest } from './parse-gitea-pull-request.ts';
import { GITHUB_DELIVERY_HEADERS, parseGithub } from './parse-github.ts';
import { isGithubPullRequest, parseGithubPullRequest } from './parse-github-pull-request.ts';
import { GITLAB_DELIVERY_HEADERS, parseGitlab } from './parse-gitlab.ts';
import { isGitlabMergeRequest, parseGitlabMergeRequest } from './parse-gitlab-merge-request.ts';
import type { Provider } from './providers.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import type { Ignored, PushEvent } from './push-event.ts';
import { verifyBitbucket } from './verify-bitbucket.ts';
import { verifyGitea } from './verify-gitea.ts';
import { verifyGithub } from './verify-github.ts';
import { verifyGitlab } from './verify-gitlab.ts';

export type Verifier = (headers: Headers, rawBody: Buffer, secret: string) => boolean;

/** What a verified delivery asks for: reconciles of what its pushes moved, a preview, or nothing. */
export type Delivery = PushEvent[] | PullRequestEvent | Ignored;

type Parser<T> = (headers: Headers, rawBody: Buffer) => T;

interface ProviderHandlers {
  verify: Verifier;
  /** Runs only on a verified body; throws PayloadError. */
  parse: Parser<Delivery>;
  deliveryHeaders: readonly string[];
}

const list =
  (parse: Parser<PushEvent | Ignored>): Parser<PushEvent[] | Ignored> =>
  (headers, body) => {
    const result = parse(headers, body);
    return 'ignored' in result ? result : [result];
  };

/** Pull-request events to their parser; any other to the push parser, which ignores what is no push. */
const byEvent =
  (
    isPullRequest: (headers: Headers) => boolean,
    pullRequest: Parser<PullRequestEvent | Ignored>,
    push: Parser<PushEvent[] | Ignored>,
  ): Parser<Delivery> =>
  (headers, body) =>
    isPullRequest(headers) ? pullRequest(headers, body) : push(headers, body);

const HANDLERS: Record<Provider, ProviderHandlers> = {
  github: {
    verify: verifyGithub,
    parse: byEvent(isGithubPullRequest, parseGithubPullRequest, list(parseGithub)),
    deliveryHeaders: GITHUB_DELIVERY_HEADERS,
  },
  gitlab: {
    verify: verifyGitlab,
    parse: byEvent(isGitlabMergeRequest, parseGitlabMergeRequest, list(parseGitlab)),
    deliveryHeaders: GITLAB_DELIVERY_HEADERS,
  },
  bitbucket: {
    verify: verifyBitbucket,
    parse: byEvent(isBitbucketPullRequest, parseBitbucketPullRequest, parseBitbucket),
    deliveryHeaders: BITBUCKET_DELIVERY_HEADERS,
  },
  gitea: {
    verify: verifyGitea,
    parse: byEvent(isGiteaPullRequest, parseGiteaPullRequest, list(parseGitea)),
    deliveryHeaders: GITEA_DELIVERY_HEADERS,
  },
};

export function verifySignature(
  provider: Provider,
  headers: Headers,
  rawBody: Buffer,
  secret: string,
): boolean {
  return HANDLERS[provider].verify(headers, rawBody, secret);
}

/** What a verified delivery asks for: every push it reports (several for Bitbucket), a pull request, or why neither. */
export function parseDelivery(provider: Provider, headers: Headers, rawBody: Buffer): Delivery {
  return HANDLERS[provider].parse(headers, rawBody);
}

/** For logs and responses when no event is parsed (pings, other events). */
export function deliveryIdOf(provider: Provider, headers: Headers): string | undefined {
  return deliveryIdFrom(headers, HANDLERS[provider].deliveryHeaders);
}
