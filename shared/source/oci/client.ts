import { createHash } from 'node:crypto';
import type { AuthCallback } from '../remote.ts';
import { readBounded } from '../read-bounded.ts';
import { ecrCredentials } from './ecr-auth.ts';
import { credentialURL, type OciRepository } from './reference.ts';

export interface OciClientOptions {
  auth?: AuthCallback | undefined;
  timeoutMs: number;
  /** Largest blob (a chart, an artifact layer) one pull may receive. */
  maxBlobBytes: number;
}

export interface OciManifest {
  digest: string;
  mediaType: string;
  config?: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAGS = 10_000;
const MAX_TAG_PAGES = 50;
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
const MAX_REDIRECTS = 5;

/**
 * The few registry calls a source needs (tags, a manifest, a blob), over
 * the OCI distribution API. Authentication as registries do it: Basic with
 * the repository's credentials, or a Bearer token from the realm a 401
 * names. Credentials go to the registry and its token realm only; a blob
 * redirected to storage elsewhere is fetched without them. Every blob is
 * checked against its digest.
 */
export class OciClient {
  private readonly repo: OciRepository;
  private readonly options: OciClientOptions;
  private authorization: string | undefined;

  constructor(repo: OciRepository, options: OciClientOptions) {
    this.repo = repo;
    this.options = options;
  }

  /** Every tag, page by page; a registry that pages forever (empty pages, a repeated link) is cut off. */
  async tags(): Promise<string[]> {
    const tags: string[] = [];
    const seen = new Set<string>();
    let next: string | undefined = `/v2/${this.repo.repository}/tags/list?n=1000`;
    while (next && tags.length < MAX_TAGS && seen.size < MAX_TAG_PAGES && !seen.has(next)) {
      seen.add(next);
      const res = await this.get(next, 'application/json', MAX_MANIFEST_BYTES);
      const page = (jsonOf(res.body, 'tag list') as { tags?: unknown }).tags;
      const added = Array.isArray(page)
        ? page.filter((t): t is string => typeof t === 'string')
        : [];
      if (!added.length) break;
      tags.push(...added);
      next = nextLink(res.headers.get('link'));
    }
    return tags;
  }

  async manifest(reference: string): Promise<OciManifest> {
    const res = await this.get(
      `/v2/${this.repo.repository}/manifests/${reference}`,
      MANIFEST_TYPES,
      MAX_MANIFEST_BYTES,
    );
    const digest = `sha256:${sha256(res.body)}`;
    if (reference.startsWith('sha256:') && reference !== digest)
      throw new Error(`manifest ${reference} has digest ${digest}; refused`);
    const parsed = jsonOf(res.body, `manifest ${reference}`) as Omit<OciManifest, 'digest'>;
    if (!Array.isArray(parsed.layers))
      throw new Error(
        `${reference} is not an image manifest (media type ${parsed.mediaType ?? res.headers.get('content-type')}): an index or a list of platforms is not a chart or artifact`,
      );
    return { ...parsed, digest };
  }

  async blob(digest: string): Promise<Buffer> {
    const res = await this.get(
      `/v2/${this.repo.repository}/blobs/${digest}`,
      '*/*',
      this.options.maxBlobBytes,
    );
    const actual = `sha256:${sha256(res.body)}`;
    if (actual !== digest) throw new Error(`blob ${digest} arrived with digest ${actual}; refused`);
    return res.body;
  }

  private async get(path: string, accept: string, maxBytes: number) {
    let res = await this.send(`${this.repo.base}${path}`, accept, maxBytes);
    if (res.status === 401) {
      await this.authenticate(res.headers.get('www-authenticate'));
      res = await this.send(`${this.repo.base}${path}`, accept, maxBytes);
    }
    if (res.status !== 200) throw new OciStatusError(res.status, path);
    return res;
  }

  /** Configured credentials first; for Amazon ECR, a token made with the process's AWS identity. */
  private async credentials(): Promise<string | undefined> {
    const c =
      (await this.options.auth?.(credentialURL(this.repo))) ??
      (await ecrCredentials(this.repo.registry));
    return c ? Buffer.from(`${c.username}:${c.password}`).toString('base64') : undefined;
  }

  /** Basic for the registry itself, or a Bearer token from the realm it names. */
  private async authenticate(challenge: string | null): Promise<void> {
    const basic = await this.credentials();
    const parsed = parseChallenge(challenge ?? '');
    if (parsed?.scheme === 'basic') {
      if (!basic)
        throw new OciStatusError(401, 'the registry asks for credentials and none are configured');
      this.authorization = `Basic ${basic}`;
      return;
    }
    if (parsed?.scheme !== 'bearer' || !parsed.params.realm)
      throw new OciStatusError(401, `unsupported authentication challenge "${challenge ?? ''}"`);
    const realm = new URL(parsed.params.realm);
    // Basic credentials go to the realm: over HTTPS, or plain HTTP on this machine only.
    if (realm.protocol !== 'https:' && !LOOPBACK_HOST.test(realm.hostname))
      throw new Error(`the registry's token realm ${realm.origin} is not HTTPS; refused`);
    if (parsed.params.service) realm.searchParams.set('service', parsed.params.service);
    realm.searchParams.set(
      'scope',
      parsed.params.scope ?? `repository:${this.repo.repository}:pull`,
    );
    const res = await this.fetchBounded(
      realm.toString(),
      { accept: 'application/json', ...(basic ? { authorization: `Basic ${basic}` } : {}) },
      MAX_MANIFEST_BYTES,
    );
    if (res.status !== 200) throw new OciStatusError(res.status, 'token');
    const body = jsonOf(res.body, 'token answer') as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error('the token realm answered without a token');
    this.authorization = `Bearer ${token}`;
  }

  private async send(url: string, accept: string, maxBytes: number) {
    const headers: Record<string, string> = { accept };
    if (this.authorization) headers.authorization = this.authorization;
    return this.fetchBounded(url, headers, maxBytes);
  }

  /** Redirects by hand: the registry's Authorization never goes to another origin. */
  private async fetchBounded(url: string, headers: Record<string, string>, maxBytes: number) {
    let current = url;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const res = await fetch(current, {
        headers: sent,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS)
          throw new Error(`more than ${MAX_REDIRECTS} redirects from ${new URL(url).pathname}`);
        const target = new URL(location, current);
        if (target.origin !== new URL(current).origin) {
          const { authorization: _dropped, ...rest } = sent;
          sent = rest;
        }
        current = target.toString();
        continue;
      }
      return { status: res.status, headers: res.headers, body: await readBounded(res, maxBytes) };
    }
  }
}

/** A JSON body, or an error that says what was expected and quotes nothing of it (it may hold a token). */
function jsonOf(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`the registry's ${what} is not JSON`);
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `Bearer realm="https://auth/token",service="registry",scope="repository:x:pull"`. */
function parseChallenge(
  header: string,
): { scheme: string; params: Record<string, string> } | undefined {
  const match = /^(\w+)\s*(.*)$/.exec(header.trim());
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g))
    params[key!.toLowerCase()] = value!;
  return { scheme: match[1]!.toLowerCase(), params };
}

/** The next page of a tag list: `Link: </v2/x/tags/list?n=1000&last=b>; rel="next"`. */
function nextLink(header: string | null): string | undefined {
  const match = header && /<([^>]+)>\s*;\s*rel="?next"?/.exec(header);
  if (!match) return undefined;
  const url = new URL(match[1]!, 'http://registry.invalid');
  return `${url.pathname}${url.search}`;
}

export class OciStatusError extends Error {
  readonly status: number;
  constructor(status: number, what: string) {
    super(`HTTP ${status}: ${what}`);
    this.name = 'OciStatusError';
    this.status = status;
  }
}
