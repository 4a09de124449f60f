import { createHmac } from 'node:crypto';

/** A ConfigMap manifest as a file in a Git fixture would hold it. */
export function configMapYaml(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
}

/** A GitHub push delivery's body and headers, signed the way GitHub signs it. */
export function githubPush(options: {
  repoURL: string;
  after: string;
  secret: string;
  deliveryId: string;
  changed?: string[];
}): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before: '1'.repeat(40),
    after: options.after,
    commits: [{ id: options.after, added: [], modified: options.changed ?? [], removed: [] }],
    head_commit: { id: options.after },
    repository: {
      clone_url: options.repoURL,
      html_url: options.repoURL.replace(/\.git$/, ''),
      default_branch: 'main',
    },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': options.deliveryId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', options.secret).update(body).digest('hex')}`,
    },
  };
}

/** A repository with a Kustomize overlay (`overlays/prod`) on a base outside it, and an unrelated `docs` folder. */
export function kustomizeOverlayTree(): Record<string, string> {
  return {
    'base/kustomization.yaml': 'resources: [cm.yaml]\n',
    'base/cm.yaml': configMapYaml('settings', 'one'),
    'overlays/prod/kustomization.yaml': 'resources: [../../base]\n',
    'docs/README.md': 'docs',
  };
}
