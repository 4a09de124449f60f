import { commitUrl, shortRevision } from '../format.ts';

/** A revision, linked to its commit on the forge when the forge is known. */
export function Revision({
  repoURL,
  revision,
}: {
  repoURL?: string | undefined;
  revision?: string | undefined;
}) {
  const url = commitUrl(repoURL, revision);
  const text = shortRevision(revision);
  if (!url) return <code title={revision}>{text}</code>;
  return (
    <a href={url} rel="noreferrer noopener" target="_blank" title={revision}>
      <code>{text}</code>
    </a>
  );
}
