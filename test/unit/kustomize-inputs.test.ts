import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kustomizeInputs } from '../../shared/render/kustomize-inputs.ts';

const repos: string[] = [];
afterEach(() => repos.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kustomize-inputs-'));
  repos.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('kustomizeInputs', () => {
  it('follows bases, components, patches and generator files outside the app path', () => {
    const root = repo({
      'apps/web/overlays/prod/kustomization.yaml': [
        'resources: [../../base, extra.yaml, https://github.com/acme/x//base?ref=v1]',
        'components: [../../../../components/tls]',
        'patches:',
        '  - path: ../../../../patches/replicas.yaml',
        '  - patch: |-',
        '      - op: add',
        'patchesStrategicMerge: [../../../../patches/strategic.yaml]',
        'configMapGenerator:',
        '  - name: settings',
        '    files: [app.conf=../../../../config/app.conf]',
        '    envs: [../../../../config/app.env]',
        'secretGenerator:',
        '  - name: creds',
        '    env: ../../../../config/creds.env',
        '',
      ].join('\n'),
      'apps/web/overlays/prod/extra.yaml': 'kind: ConfigMap',
      'apps/web/base/kustomization.yml': 'resources: [deployment.yaml, ../../../common]\n',
      'apps/web/base/deployment.yaml': 'kind: Deployment',
      'common/Kustomization': 'resources: [labels.yaml]\n',
      'common/labels.yaml': 'kind: ConfigMap',
      'components/tls/kustomization.yaml': 'kind: Component\n',
      'patches/replicas.yaml': '{}',
      'patches/strategic.yaml': '{}',
      'config/app.conf': 'x',
      'config/app.env': 'A=1',
      'config/creds.env': 'B=2',
    });
    expect(kustomizeInputs(root, 'apps/web/overlays/prod')).toEqual([
      'apps/web/base',
      'common',
      'components/tls',
      'config/app.conf',
      'config/app.env',
      'config/creds.env',
      'patches/replicas.yaml',
      'patches/strategic.yaml',
    ]);
  });

  it('leaves out what is inside the app path, outside the repository, or remote; keeps a path not pushed yet', () => {
    const root = repo({
      'app/kustomization.yaml':
        'resources: [local.yaml, sub, ../missing, ../../../../etc, git@github.com:a/b.git]\n',
      'app/local.yaml': 'kind: ConfigMap',
      'app/sub/kustomization.yaml': 'resources: [../local.yaml]\n',
    });
    expect(kustomizeInputs(root, 'app')).toEqual(['missing']);
  });

  it('survives cycles and broken files (kustomize reports those when it renders)', () => {
    const root = repo({
      'a/kustomization.yaml': 'resources: [../b]\n',
      'b/kustomization.yaml': 'resources: [../a, ../c]\n',
      'c/kustomization.yaml': 'resources: [: not yaml\n',
      'd/kustomization.yaml': `transformers:\n  - |\n    ${'x'.repeat(300)}\n    kind: Inline\nresources: [${'y'.repeat(300)}]\n`,
    });
    expect(kustomizeInputs(root, 'a')).toEqual(['b', 'c']);
    // Inline plugin configuration and impossible names are no paths to watch, and no reason to fail.
    expect(() => kustomizeInputs(root, 'd')).not.toThrow();
  });

  it('a path inside another watched directory is not listed twice', () => {
    const root = repo({
      'app/kustomization.yaml': 'resources: [../base]\npatches: [{ path: ../base/patch.yaml }]\n',
      'base/kustomization.yaml': 'resources: []\n',
      'base/patch.yaml': '{}',
    });
    expect(kustomizeInputs(root, 'app')).toEqual(['base']);
  });
});
