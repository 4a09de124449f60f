import type { ApiError } from '../api/client.ts';

/** An API error, in the API's own words. */
export function ErrorNote({ error }: { error: ApiError | Error | string | undefined }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}
