import type { Application } from '../config/application.ts';
import { sourcesOf } from '../config/sources.ts';
import { isGitSource } from '../source/app-source-spec.ts';
import { isFullSha } from '../source/spec.ts';

/** A commit of one of the application's Git repositories. */
export interface SourceCommit {
  repoURL: string;
  sha: string;
}

/**
 * The commits an application revision names, one per Git source (a values
 * repository's commit changes the application as much as its own): chart
 * versions and OCI digests are not commits and get no status.
 */
export function statusCommits(app: Application, revision: string): SourceCommit[] {
  const entries = sourcesOf(app);
  const parts = revision.split(',');
  if (parts.length !== entries.length) return [];
  return entries.flatMap(({ source }, i) => {
    const sha = parts[i]!;
    if (!isGitSource(source) || !isFullSha(sha)) return [];
    return [{ repoURL: source.repoURL, sha }];
  });
}
