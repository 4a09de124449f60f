import { realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  describeLink,
  escapeOf,
  insideRoot,
  OutsideCheckoutError,
  type Containment,
} from './containment.ts';
import { KUSTOMIZATION_FILES } from './detect.ts';
import { RenderFailure } from './errors.ts';
import { readKustomizationStrictly } from './kustomization-strict.ts';
import { isRemote, referencesOf, type Kustomization } from './kustomize-refs.ts';

/** A kustomization names a remote base or resource and the application did not allow network reads. */
export class RemoteResourceError extends RenderFailure {
  constructor(refs: string[], enableHelm = false) {
    super(
      'REMOTE_RESOURCE',
      enableHelm
        ? `kustomize would fetch ${refs.join(', ')} over the network from the reconciler; with render.kustomize.enableHelm remote resources are refused, since the Helm charts a remote kustomization names could not be checked before kustomize renders them`
        : `kustomize would fetch ${refs.join(', ')} over the network from the reconciler; remote resources are refused unless the application sets render.kustomize.allowRemoteResources: true (only https:// and http:// remotes outside the reconciler's own machine and private networks are then allowed)`,
    );
  }
}

/** A kustomization the build loads, as the walk read it. */
export interface VisitedKustomization {
  /** Its folder, resolved. */
  dir: string;
  /** Its file, relative to the checkout, as errors name it. */
  file: string;
  value: Kustomization;
}

const NETWORK_REMOTE = /^(https?:\/\/|github\.com\/)/i;

/**
 * A remote on the reconciler's own machine or private network (the Lambda
 * runtime API on 127.0.0.1, hosts inside the VPC, the instance metadata
 * address): never allowed, opt-in or not. Names are judged as written;
 * one that resolves to such an address is not caught here.
 */
function isInternal(ref: string): boolean {
  const host = URL.parse(ref)
    ?.hostname.replace(/^\[|\]$/g, '')
    .toLowerCase();
  if (!host) return false;
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^(127|10|0)\./.test(host) ||
    /^169\.254\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
    host === '::1' ||
    /^f[cd][0-9a-f]{2}:/.test(host) ||
    /^fe80:/.test(host)
  );
}

/**
 * Walks every kustomization the build would load, before kustomize runs:
 * each folder and file it names must resolve inside the checkout (kustomize
 * itself keeps files, not folders, under each kustomization's root), no
 * refused link may stand for a kustomization or a file it names, and a
 * remote reference needs the application's opt-in (and is refused with
 * Helm charts on, see RemoteResourceError). A file we cannot parse as
 * kustomize would is refused rather than passed on unchecked. Returns the
 * kustomizations it read, for their helmCharts.
 */
export function checkKustomizeContainment(
  appDir: string,
  containment: Containment,
  allowRemote: boolean,
  enableHelm = false,
): VisitedKustomization[] {
  const problems: string[] = [];
  const remote: string[] = [];
  const visited = new Set<string>();
  const found: VisitedKustomization[] = [];
  const visit = (dir: string): void => {
    if (visited.has(dir)) return;
    visited.add(dir);
    const where = insideRoot(containment, dir) ?? dir;
    const own = (name: string): string => (where === '.' ? name : `${where}/${name}`);
    problems.push(
      ...containment.refusedLinks
        .filter((l) => KUSTOMIZATION_FILES.some((name) => l.path === own(name)))
        .map(describeLink),
    );
    const read = readKustomizationStrictly(dir);
    if (!read) return;
    if ('error' in read) {
      problems.push(`${where}: the kustomization cannot be read safely (${read.error})`);
      return;
    }
    found.push({ dir, file: own(basename(read.file)), value: read.value });
    const { dirsOrFiles, files } = referencesOf(read.value);
    for (const ref of [...dirsOrFiles, ...files]) {
      if (isRemote(ref)) {
        if (!allowRemote || enableHelm || !NETWORK_REMOTE.test(ref) || isInternal(ref))
          remote.push(ref);
        continue;
      }
      const target = resolve(dir, ref);
      const escape = escapeOf(containment, target);
      if (escape) {
        problems.push(`${where} refers to ${ref}: ${escape}`);
        continue;
      }
      // Kustomize roots each folder's loader at its resolved path and resolves
      // its references from there: so does this walk.
      if (statSync(target, { throwIfNoEntry: false })?.isDirectory())
        visit(realpathSync.native(target));
    }
  };
  visit(realpathSync.native(appDir));
  const unique = [...new Set(problems)];
  if (unique.length > 0) throw new OutsideCheckoutError(unique);
  if (remote.length > 0) throw new RemoteResourceError(remote, allowRemote && enableHelm);
  return found;
}
