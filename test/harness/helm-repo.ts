import { execFile, execFileSync } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { toolPath } from './tools.ts';

const run = promisify(execFile);

export interface HelmRepoRequest {
  /** The request target's path as sent (query string removed). */
  path: string;
  /** `index` for index.yaml, `chart` for a .tgz, `other` for anything else. */
  kind: 'index' | 'chart' | 'other';
  method: string;
  authorization?: string;
  status: number;
}

export interface PublishedChart {
  /** The .tgz's file name in the repository root (`name-version.tgz` for `publish`). */
  file: string;
  /** Hex sha256 of the .tgz, as `helm repo index` writes it (no `sha256:` prefix). */
  digest: string;
  version: string;
  name: string;
}

/** Fields of an index entry for `publishRaw`; anything given overrides the computed defaults. */
export interface RawIndexEntry {
  name: string;
  version: string;
  [field: string]: unknown;
}

export interface HelmRepo {
  /** `http://127.0.0.1:PORT`, the repository root; the index is at `${url}/index.yaml`. */
  url: string;
  /** The folder served (index.yaml and the .tgz files); its parent is the harness's own temp folder. */
  root: string;
  /**
   * Packages a chart from files (`Chart.yaml` with name and version,
   * `templates/…`, `crds/…`, `values.yaml`) with the real `helm package`, indexes
   * it with the real `helm repo index --url <url>` and adds that entry to
   * index.yaml, keeping every earlier entry as it is (a republished name and
   * version replaces its entry). Versions are sorted newest first, as Helm does.
   */
  publish(files: Record<string, string>): Promise<PublishedChart>;
  /**
   * Adds arbitrary bytes (e.g. from `craftArchive`) as `fileName` and lists them
   * in the index under `indexEntry.name`, with `urls: [<url>/<fileName>]`, the
   * bytes' correct digest, `apiVersion: v2` and `created` unless `indexEntry`
   * says otherwise.
   */
  publishRaw(fileName: string, bytes: Buffer, indexEntry: RawIndexEntry): Promise<PublishedChart>;
  /** Every request served so far, in order, with the Authorization header it carried. */
  requests: HelmRepoRequest[];
  /** Overwrites a published file's bytes (to test digest mismatch) without touching the index. */
  tamper(file: string, bytes: Buffer): void;
  /** Rewrites index.yaml with a function over its parsed YAML (mutate it in place). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach into any field
  editIndex(edit: (index: any) => void): void;
  /** Answers every request with this status from now on, or serves normally again with undefined. */
  failWith(status: number | undefined): void;
  stop(): Promise<void>;
}

export interface HelmRepoOptions {
  basicAuth?: { username: string; password: string };
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A single file name in the repository root: no folders, no dot names. */
function checkFileName(file: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(file)) {
    throw new Error(`helm-repo: ${JSON.stringify(file)} is not a plain file name`);
  }
}

interface IndexEntry {
  name: string;
  version: string;
  digest?: unknown;
  [field: string]: unknown;
}

interface IndexDoc {
  apiVersion?: unknown;
  generated?: unknown;
  entries: Record<string, (IndexEntry | null)[]>;
  [field: string]: unknown;
}

interface Semver {
  core: [number, number, number];
  pre: string[];
}

/** Semantic versions as Masterminds/semver (Helm's) reads them: optional `v`, minor and patch. */
function parseSemver(version: string): Semver | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(
    version,
  );
  if (!m) return undefined;
  return {
    core: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)],
    pre: m[4] ? m[4].split('.') : [],
  };
}

function compareSemver(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! - b.core[i]!;
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (xn !== yn) return xn ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Newest first; versions that are not semver go last in their original order (as Helm's SortEntries). */
function sortVersions<T extends { version?: unknown } | null>(entries: T[]): void {
  const keyed = entries.map((e, i) => ({
    e,
    i,
    v: typeof e?.version === 'string' ? parseSemver(e.version) : undefined,
  }));
  keyed.sort((a, b) => {
    if (a.v && b.v) return compareSemver(b.v, a.v) || a.i - b.i;
    if (a.v) return -1;
    if (b.v) return 1;
    return a.i - b.i;
  });
  entries.splice(0, entries.length, ...keyed.map((k) => k.e));
}

/**
 * A Helm chart repository over plain HTTP on 127.0.0.1: index.yaml and .tgz
 * files made by the real `helm package` and `helm repo index`, served from a
 * temp folder, with ETag revalidation of the index, optional basic auth, and
 * knobs to tamper with archives, edit the index and fail every request.
 */
export async function startHelmRepo(options: HelmRepoOptions = {}): Promise<HelmRepo> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'driftless-helm-repo-')));
  const root = join(base, 'repo');
  const work = join(base, 'work');
  const helmHome = join(base, 'helm');
  for (const dir of [root, work, helmHome]) mkdirSync(dir);
  const indexPath = join(root, 'index.yaml');
  const helmEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: helmHome,
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  const helm = toolPath('helm');

  const requests: HelmRepoRequest[] = [];
  let failure: number | undefined;
  const expectedAuth = options.basicAuth;

  const authorized = (header: string | undefined): boolean => {
    if (!expectedAuth) return true;
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both compared, always, so the time does not say which one was wrong.
    const user = sameSecret(decoded.slice(0, colon), expectedAuth.username);
    const pass = sameSecret(decoded.slice(colon + 1), expectedAuth.password);
    return user && pass;
  };

  /** The file a request path names inside `root`, or a status to answer instead. */
  const locate = (rawPath: string): string | number => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return 400;
    }
    if (decoded.includes('\0')) return 400;
    const segments = decoded.split(/[/\\]+/).filter((s) => s !== '');
    if (segments.some((s) => s === '..' || s === '.')) return 400;
    if (segments.length === 0) return 404;
    const target = resolve(root, ...segments);
    const rel = relative(root, target);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return 400;
    let stat;
    try {
      // lstat: a symlink planted in the folder is not followed.
      stat = lstatSync(target);
    } catch {
      return 404;
    }
    if (!stat.isFile()) return 404;
    if (!realpathSync(target).startsWith(root + sep)) return 400;
    return target;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const rawTarget = req.url ?? '/';
    const query = rawTarget.indexOf('?');
    const path = query >= 0 ? rawTarget.slice(0, query) : rawTarget;
    const kind: HelmRepoRequest['kind'] = path.endsWith('/index.yaml')
      ? 'index'
      : path.endsWith('.tgz')
        ? 'chart'
        : 'other';
    const record: HelmRepoRequest = { path, kind, method: req.method ?? 'GET', status: 0 };
    if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
    requests.push(record);
    const answer = (status: number, headers: Record<string, string> = {}, body?: Buffer): void => {
      record.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const text = (status: number, message: string, headers: Record<string, string> = {}): void =>
      answer(status, { 'content-type': 'text/plain', ...headers }, Buffer.from(`${message}\n`));

    if (failure !== undefined) return text(failure, `failing on purpose with ${failure}`);
    if (!authorized(req.headers.authorization)) {
      return text(401, 'authentication required', {
        'www-authenticate': 'Basic realm="charts"',
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return text(405, 'method not allowed', { allow: 'GET, HEAD' });
    }
    const file = locate(path);
    if (typeof file === 'number') {
      return text(file, file === 404 ? 'not found' : 'bad path');
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      return text(404, 'not found');
    }
    const etag = `"${sha256(body)}"`;
    const contentType = file.endsWith('.yaml')
      ? 'application/x-yaml'
      : file.endsWith('.tgz')
        ? 'application/gzip'
        : 'application/octet-stream';
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined) {
      const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
      if (tags.includes('*') || tags.includes(etag)) return answer(304, { etag });
    }
    answer(200, { 'content-type': contentType, 'content-length': String(body.length), etag }, body);
  };

  const server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const readIndex = (): IndexDoc => {
    if (!existsSync(indexPath)) return { apiVersion: 'v1', entries: {} };
    const index = (parse(readFileSync(indexPath, 'utf8')) ?? {}) as IndexDoc;
    index.entries ??= {};
    return index;
  };
  const writeIndex = (index: unknown): void => {
    const tmp = `${indexPath}.tmp`;
    writeFileSync(tmp, stringify(index));
    renameSync(tmp, indexPath);
  };
  /** Adds entries (replacing same name and version), keeps the rest untouched, sorts by version. */
  const mergeEntries = (added: IndexEntry[]): void => {
    const index = readIndex();
    for (const entry of added) {
      const list = (index.entries[entry.name] ??= []);
      const same = list.findIndex((e) => e?.version === entry.version);
      if (same >= 0) list.splice(same, 1);
      list.push(entry);
      sortVersions(list);
    }
    index.apiVersion ??= 'v1';
    index.generated = new Date().toISOString();
    writeIndex(index);
  };

  // Index writes are read-modify-write: one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };

  const publish = (files: Record<string, string>): Promise<PublishedChart> =>
    serialized(async () => {
      const chartYaml = files['Chart.yaml'];
      if (chartYaml === undefined) throw new Error('helm-repo publish: Chart.yaml is required');
      const meta = parse(chartYaml) as { name?: unknown; version?: unknown } | null;
      const name = meta?.name;
      if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
        throw new Error(`helm-repo publish: Chart.yaml needs a plain name, got ${String(name)}`);
      }
      const scratch = mkdtempSync(join(work, 'chart-'));
      try {
        const chartDir = join(scratch, name);
        for (const [rel, content] of Object.entries(files)) {
          const target = resolve(chartDir, rel);
          if (!target.startsWith(chartDir + sep)) {
            throw new Error(`helm-repo publish: ${rel} is outside the chart`);
          }
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
        const out = join(scratch, 'out');
        mkdirSync(out);
        await run(helm, ['package', chartDir, '--destination', out], { env: helmEnv });
        const archives = readdirSync(out).filter((f) => f.endsWith('.tgz'));
        if (archives.length !== 1) throw new Error(`helm package made ${archives.join(', ')}`);
        const file = archives[0]!;
        // The real `helm repo index` writes the entry (metadata, digest, created, urls)...
        await run(helm, ['repo', 'index', out, '--url', url], { env: helmEnv });
        const generated = parse(readFileSync(join(out, 'index.yaml'), 'utf8')) as IndexDoc;
        const entry = Object.values(generated.entries).flat()[0];
        if (!entry) throw new Error('helm repo index listed no chart');
        const bytes = readFileSync(join(out, file));
        const digest = sha256(bytes);
        if (entry.digest !== digest) throw new Error('helm repo index wrote an unexpected digest');
        // ...and it is merged into the served index, earlier versions kept.
        renameSync(join(out, file), join(root, file));
        mergeEntries([entry]);
        return { file, digest, version: String(entry.version), name: String(entry.name) };
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });

  const publishRaw = (
    fileName: string,
    bytes: Buffer,
    indexEntry: RawIndexEntry,
  ): Promise<PublishedChart> =>
    serialized(async () => {
      checkFileName(fileName);
      if (fileName === 'index.yaml') throw new Error('helm-repo publishRaw: not index.yaml');
      writeFileSync(join(root, fileName), bytes);
      const digest = sha256(bytes);
      mergeEntries([
        {
          apiVersion: 'v2',
          created: new Date().toISOString(),
          digest,
          urls: [`${url}/${fileName}`],
          ...indexEntry,
        },
      ]);
      return { file: fileName, digest, version: indexEntry.version, name: indexEntry.name };
    });

  return {
    url,
    root,
    requests,
    publish,
    publishRaw,
    tamper(file, bytes) {
      checkFileName(file);
      const path = join(root, file);
      if (file === 'index.yaml' || !existsSync(path)) {
        throw new Error(`helm-repo tamper: no published file ${file}`);
      }
      writeFileSync(path, bytes);
    },
    editIndex(edit) {
      const index = readIndex();
      edit(index);
      writeIndex(index);
    },
    failWith(status) {
      failure = status;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await queue;
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * A minimal valid chart: Chart.yaml (apiVersion v2), values.yaml and one
 * ConfigMap named `<release>-<chart>` whose data carries the chart's version
 * (`chartVersion`), the release name (`release`) and `.Values.greeting`, so a
 * test can see which version was applied. `extra` adds or replaces files.
 */
export function chartFiles(
  name: string,
  version: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'Chart.yaml': [
      'apiVersion: v2',
      `name: ${name}`,
      `version: ${version}`,
      `description: Test chart ${name}`,
      'type: application',
      '',
    ].join('\n'),
    'values.yaml': 'greeting: hello\n',
    'templates/configmap.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      '  labels:',
      '    app.kubernetes.io/name: {{ .Chart.Name }}',
      '    app.kubernetes.io/version: {{ .Chart.Version | quote }}',
      'data:',
      '  chartVersion: {{ .Chart.Version | quote }}',
      '  release: {{ .Release.Name | quote }}',
      '  greeting: {{ .Values.greeting | quote }}',
      '',
    ].join('\n'),
    ...extra,
  };
}

export interface ArchiveEntry {
  /** The name stored in the tar header, verbatim (`../escape.yaml`, `/etc/x`, `chart/templates/a.yaml`). */
  name: string;
  body?: string;
  type?: 'file' | 'symlink';
  /** For symlinks: the link's target, verbatim. */
  linkTarget?: string;
}

const CRAFT_SCRIPT = `
import io, json, sys, tarfile
entries = json.load(sys.stdin)
out = io.BytesIO()
with tarfile.open(fileobj=out, mode='w:gz', format=tarfile.PAX_FORMAT) as tar:
    for e in entries:
        info = tarfile.TarInfo(e['name'])
        info.mtime = 1700000000
        info.uname = info.gname = 'root'
        if e.get('type') == 'symlink':
            info.type = tarfile.SYMTYPE
            info.linkname = e.get('linkTarget') or ''
            info.mode = 0o777
            tar.addfile(info)
        else:
            data = (e.get('body') or '').encode()
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
sys.stdout.buffer.write(out.getvalue())
`;

/**
 * A gzip'd tar with exactly these entries, names and link targets verbatim
 * (Python's tarfile, which writes `../` names and symlinks that `tar` would
 * refuse or rewrite). For hostile-chart tests, with `publishRaw`.
 */
export function craftArchive(entries: ArchiveEntry[]): Buffer {
  for (const e of entries) {
    if (e.type === 'symlink' && e.linkTarget === undefined) {
      throw new Error(`craftArchive: symlink ${e.name} needs a linkTarget`);
    }
  }
  return execFileSync('python3', ['-c', CRAFT_SCRIPT], {
    input: JSON.stringify(entries),
    maxBuffer: 64 * 1024 * 1024,
  });
}
