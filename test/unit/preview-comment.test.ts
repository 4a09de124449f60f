import { describe, expect, it } from 'vitest';
import { fenced, cell } from '../../shared/preview/markdown.ts';
import { previewComment, PREVIEW_MARKER } from '../../shared/preview/preview-comment.ts';
import type { PreviewRun } from '../../shared/preview/preview-run.ts';
import type { ObjectResult, SyncResult } from '../../shared/sync/result.ts';
import { countActions, NO_TIMINGS } from '../../shared/sync/result.ts';

const HEAD = '1234567'.padEnd(40, 'f');

function run(app: string, objects: ObjectResult[], more: Partial<SyncResult> = {}): PreviewRun {
  return {
    app,
    cluster: 'cluster-a',
    result: {
      app,
      cluster: 'cluster-a',
      revision: HEAD,
      dryRun: true,
      status: objects.some((o) => o.action !== 'Unchanged') ? 'OutOfSync' : 'Synced',
      objects,
      hooks: [],
      counts: countActions(objects),
      health: { status: 'Healthy' },
      inventory: { revision: HEAD, entries: [] },
      manifestDigest: '',
      timings: NO_TIMINGS,
      ...more,
    },
  };
}

const deployment = (action: ObjectResult['action'], diff?: string): ObjectResult => ({
  ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'web' },
  action,
  ...(diff ? { diff } : {}),
});
const configMap = (name: string, action: ObjectResult['action'], diff?: string): ObjectResult => ({
  ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name },
  action,
  ...(diff ? { diff } : {}),
});

const options = { headSha: HEAD, diffs: true, maxChars: 65_536 };

describe('previewComment', () => {
  it('starts with the marker, a row per run with its counts and health-relevant changes', () => {
    const body = previewComment(
      [
        run('web', [deployment('Configured', '-image: a\n+image: b'), configMap('c', 'Unchanged')]),
        run('api', [configMap('settings', 'Created', '+a: b'), configMap('old', 'Pruned')]),
      ],
      options,
    );
    expect(body.startsWith(PREVIEW_MARKER)).toBe(true);
    expect(body).toContain('### Driftless preview of 1234567');
    expect(body).toContain('| web | cluster-a | 0 | 1 | 0 | 0 | configured Deployment web/web |');
    expect(body).toContain('| api | cluster-a | 1 | 0 | 1 | 0 | — |');
    expect(body).toContain('<summary>web on cluster-a: configured Deployment web/web</summary>');
    expect(body).toContain('```diff\n-image: a\n+image: b\n```');
    // Unchanged objects get no diff block.
    expect(body).not.toContain('ConfigMap web/c');
  });

  it('a failed run shows its reason in the row', () => {
    const failed: PreviewRun = {
      app: 'web',
      cluster: 'cluster-b',
      error: 'cannot reach cluster-b',
    };
    expect(previewComment([failed], options)).toContain(
      '| web | cluster-b | 0 | 0 | 0 | cannot reach cluster-b | — |',
    );
  });

  it('for a fork: the table only, no diff', () => {
    const body = previewComment([run('web', [deployment('Configured', '+secret-ish')])], {
      ...options,
      diffs: false,
    });
    expect(body).not.toContain('+secret-ish');
    expect(body).not.toContain('<details>');
    expect(body).toContain('not shown for pull requests from forks');
  });

  it('diffs that do not fit are named, and the comment stays under the limit', () => {
    const big = 'x'.repeat(3_000);
    const objects = Array.from({ length: 40 }, (_, i) =>
      configMap(`cm-${i}`, 'Configured', `+${big}`),
    );
    const body = previewComment([run('web', objects)], { ...options, maxChars: 20_000 });
    expect(body.length).toBeLessThanOrEqual(20_000);
    expect(body).toMatch(
      /\d+ more diffs did not fit in this comment \(web: ConfigMap web\/cm-\d+, /,
    );
    expect(body).toContain(', …); `driftless diff --revision');
  });

  it('a change to a base shared by a fleet still fits: rows that do not fit are counted', () => {
    const failing = Array.from({ length: 400 }, (_, i): PreviewRun => ({
      app: `app-${i}`,
      cluster: 'cluster-a',
      error: '&'.repeat(400),
    }));
    const body = previewComment(failing, { ...options, maxChars: 32_767 });
    expect(body.length).toBeLessThanOrEqual(32_767);
    expect(body).toMatch(/\| … \| \d+ more not shown \|/);
  });

  it('content from the repository cannot close its code block or reshape the table', () => {
    const hostile = '+a: ```\n+</details><img src=https://evil.example/x>\n+| fake | row |';
    const body = previewComment(
      [
        run('web', [configMap('c', 'Configured', hostile)], {}),
        { app: 'web', cluster: 'c', error: '<img src=x> | `x`' },
      ],
      options,
    );
    expect(body).toContain('````diff');
    expect(body).not.toContain('| c | 0 | 0 | 0 | <img');
    expect(body).toContain('&lt;img src=x&gt; \\| \\`x\\`');
  });
});

describe('markdown helpers', () => {
  it('fenced picks a fence longer than any backtick run', () => {
    expect(fenced('a ```` b', 'diff').startsWith('`````diff\n')).toBe(true);
    expect(fenced('plain', '')).toBe('```\nplain\n```');
  });
  it('cell keeps a line and escapes markup', () => {
    expect(cell('a\nb|c <d> *e*')).toBe('a b\\|c &lt;d&gt; \\*e\\*');
  });
  it('cell mentions nobody, links no issue and makes no link', () => {
    const text = cell('ping @acme/security about #12 at https://evil.example/x');
    expect(text).not.toMatch(/@acme|#12|https:\/\//);
    expect(text.replace(/\u200b/g, '')).toBe(
      'ping @acme/security about #12 at https://evil.example/x',
    );
  });
});
