import type { Provider } from './providers.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import type { PushEvent } from './push-event.ts';
import type { Log } from './response.ts';
import type { RouteCandidate } from './route.ts';

export interface WebhookDeps {
  /** The provider's shared secret; undefined when the provider is not configured (→ 401). */
  secret(provider: Provider): Promise<string | undefined>;
  /** Whether a delivery with this key (its body digest, see dedupe.ts) was recorded as enqueued. */
  wasDelivered(provider: Provider, key: string): Promise<boolean>;
  /** Records that the delivery with this key is on the queue. */
  recordDelivered(provider: Provider, key: string): Promise<void>;
  /** The application registry. */
  applications(): Promise<RouteCandidate[]>;
  enqueue(apps: string[], push: PushEvent): Promise<void>;
  /** Absent: previews are off (no forge credentials to report with), pull requests are ignored. */
  enqueuePreview?(pr: PullRequestEvent): Promise<void>;
  /**
   * Whether pull requests from forks are previewed (default: no). A preview
   * renders what the fork's author wrote with the base repository's
   * credentials and reports back on the pull request.
   */
  previewForks?: boolean;
  log?: Log;
}
