import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from '../api/client.ts';

/** How often pages ask again: status changes show within this, without a reload. */
export const POLL_MS = 2_000;

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** Asks now (after an action), instead of at the next tick. */
  refresh: () => void;
}

/**
 * The answer of a GET path, asked again every `intervalMs` while the page is
 * visible. Each ask carries the last ETag, so an unchanged answer is a 304
 * and no re-render. `path` undefined: nothing is asked.
 */
export function usePoll<T>(path: string | undefined, intervalMs = POLL_MS): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const latest = useRef(path);
  latest.current = path;

  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [path]);

  useEffect(() => {
    if (!path) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async (): Promise<void> => {
      if (document.visibilityState === 'visible') {
        try {
          const { body, changed } = await get<T>(path);
          if (!stopped && latest.current === path) {
            if (changed) setData(body);
            setError(undefined);
          }
        } catch (err) {
          if (!stopped) setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
        }
      }
      if (!stopped) timer = setTimeout(() => void ask(), intervalMs);
    };
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, intervalMs, tick]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, refresh };
}
