import { deliveryIdFrom } from './headers.ts';
import { BITBUCKET_DELIVERY_HEADERS, parseBitbucket } from './parse-bitbucket.ts';
import { GITEA_DELIVERY_HEADERS, parseGitea } from './parse-gitea.ts';
import { GITHUB_DELIVERY_HEADERS, parseGithub } from './parse-github.ts';
import { GITLAB_DELIVERY_HEADERS, parseGitlab } from './parse-gitlab.ts';
import type { Provider } from './providers.ts';
import type { Ignored, PushEvent } from './push-event.ts';
import { verifyBitbucket } from './verify-bitbucket.ts';
import { verifyGitea } from './verify-gitea.ts';
import { verifyGithub } from './verify-github.ts';
import { verifyGitlab } from './verify-gitlab.ts';

export type Verifier = (headers: Headers, rawBody: Buffer, secret: string) => boolean;

interface ProviderHandlers {
  verify: Verifier;
  /** Runs only on a verified body; throws PayloadError. */
  parse(headers: Headers, rawBody: Buffer): PushEvent[] | Ignored;
  deliveryHeaders: readonly string[];
}

const list = (result: PushEvent | Ignored) => ('ignored' in result ? result : [result]);

const HANDLERS: Record<Provider, ProviderHandlers> = {
  github: {
    verify: verifyGithub,
    parse: (headers, body) => list(parseGithub(headers, body)),
    deliveryHeaders: GITHUB_DELIVERY_HEADERS,
  },
  gitlab: {
    verify: verifyGitlab,
    parse: (headers, body) => list(parseGitlab(headers, body)),
    deliveryHeaders: GITLAB_DELIVERY_HEADERS,
  },
  bitbucket: {
    verify: verifyBitbucket,
    parse: parseBitbucket,
    deliveryHeaders: BITBUCKET_DELIVERY_HEADERS,
  },
  gitea: {
    verify: verifyGitea,
    parse: (headers, body) => list(parseGitea(headers, body)),
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

/** Every push a verified delivery reports (several for Bitbucket), or why it asks for none. */
export function parsePushes(
  provider: Provider,
  headers: Headers,
  rawBody: Buffer,
): PushEvent[] | Ignored {
  return HANDLERS[provider].parse(headers, rawBody);
}

/** For logs and responses when no push is parsed (pings, other events). */
export function deliveryIdOf(provider: Provider, headers: Headers): string | undefined {
  return deliveryIdFrom(headers, HANDLERS[provider].deliveryHeaders);
}
