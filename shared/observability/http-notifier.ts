import { isLoopback } from '../secrets/credential-scope.ts';
import { EVENT_SOURCE, type DriftlessEvent, type EventPublisher } from './events.ts';

export interface HttpNotifierOptions {
  /** Where each event is posted; https, or http to loopback only. */
  url: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Checks a notification URL from the command line: https, or plain http to
 * a loopback host (a local receiver); no user or password in it, which
 * would travel in clear text in every request's URL.
 */
export function notifyURL(value: string): URL {
  const url = URL.parse(value);
  if (!url) throw new Error('--notify: not a URL');
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`--notify: ${url.protocol}// is not http(s)`);
  if (url.username || url.password)
    throw new Error(`--notify: the URL must not carry credentials (user:password@)`);
  if (url.protocol === 'http:' && !isLoopback(url.hostname))
    throw new Error(`--notify ${url.origin}: plain http is allowed to loopback only; use https`);
  return url;
}

/**
 * Local mode's notifications: each event's JSON (as EventBridge would carry
 * it: source, detail-type, detail) posted to a URL. A receiver that fails or
 * is slow costs a log line, never the reconcile that produced the event;
 * redirects are not followed, so the events go only where they were sent.
 * Logs name the origin only: a Slack webhook's path is its secret.
 */
export function httpNotifier(options: HttpNotifierOptions): EventPublisher {
  const url = notifyURL(options.url);
  const log = options.log ?? (() => {});
  return {
    async publish(events: DriftlessEvent[]) {
      for (const event of events) {
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              source: EVENT_SOURCE,
              'detail-type': event.detailType,
              detail: event.detail,
            }),
            redirect: 'manual',
            signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
          });
          await response.body?.cancel();
          if (!response.ok)
            log(`[notify] ${url.origin}: ${event.detailType} answered ${response.status}`);
        } catch (err) {
          log(
            `[notify] ${url.origin}: ${event.detailType} not delivered: ${(err as Error).message}`,
          );
        }
      }
    },
  };
}
