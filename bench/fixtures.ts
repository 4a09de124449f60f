import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Manifests of one benchmark application: file name (relative) to YAML text. */
export type Manifests = Map<string, string>;

const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export interface CrdNames {
  group: string;
  name: string;
}

/** Each namespace gets its own CRD, so no side finds the definition already installed. */
export function crdFor(namespace: string): CrdNames {
  const group = `${namespace}.bench.driftless.dev`;
  return { group, name: `widgets.${group}` };
}

function crd({ group, name }: CrdNames): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    size: { type: 'integer' },
                    colour: { type: 'string' },
                    tags: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

const labels = (app: string, i: number) => ({ 'bench.driftless.dev/part': app, tier: `t${i % 3}` });

function configMap(i: number): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `config-${i}`, labels: labels('config', i) },
    data: {
      'app.properties': `name=config-${i}\nreplicas=${i % 5}\nfeature.flag=${i % 2 === 0}\n`,
      LOG_LEVEL: i % 4 === 0 ? 'debug' : 'info',
      TIMEOUT: `${10 + (i % 50)}s`,
    },
  };
}

function secret(i: number): object {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `secret-${i}`, labels: labels('secret', i) },
    type: 'Opaque',
    data: { username: b64(`user-${i}`), password: b64(`pw-${i}-${'x'.repeat(16)}`) },
  };
}

function service(i: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, labels: labels('svc', i) },
    spec: {
      selector: { app: `deploy-${i}` },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
  };
}

function deployment(i: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `deploy-${i}`, labels: labels('deploy', i) },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: `deploy-${i}` } },
      template: {
        metadata: { labels: { app: `deploy-${i}` } },
        spec: {
          containers: [
            {
              name: 'main',
              image: PAUSE_IMAGE,
              env: [{ name: 'INDEX', value: String(i) }],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
            },
          ],
        },
      },
    },
  };
}

function widget(group: string, i: number): object {
  return {
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: { name: `widget-${i}`, labels: labels('widget', i) },
    spec: { size: i, colour: ['red', 'green', 'blue'][i % 3], tags: [`t${i % 7}`] },
  };
}

/**
 * `total` objects for one namespace, one per file: a CRD with a fifth of
 * the total as custom resources (200 of 1,000), and the rest split between
 * ConfigMaps, Secrets, Services and Deployments scaled to zero. The CRD's
 * file sorts first, so `kubectl apply -f 00-crd.yaml` can install it alone.
 */
export function applyManifests(namespace: string, total: number): Manifests {
  const names = crdFor(namespace);
  const files: Manifests = new Map([['00-crd.yaml', stringify(crd(names))]]);
  const widgets = Math.floor(total / 5);
  const rest = total - 1 - widgets;
  const perKind = Math.floor(rest / 4);
  const counts = { config: rest - 3 * perKind, secret: perKind, svc: perKind, deploy: perKind };
  const add = (prefix: string, count: number, make: (i: number) => object): void => {
    for (let i = 0; i < count; i++)
      files.set(`${prefix}-${String(i).padStart(4, '0')}.yaml`, stringify(make(i)));
  };
  add('configmap', counts.config, configMap);
  add('secret', counts.secret, secret);
  add('service', counts.svc, service);
  add('deployment', counts.deploy, deployment);
  add('widget', widgets, (i) => widget(names.group, i));
  return files;
}

/** The four objects of one small application in the many-apps case. */
export function smallAppManifests(app: string): Manifests {
  const rename = (object: object, name: string): object => ({
    ...object,
    metadata: { ...(object as { metadata: object }).metadata, name },
  });
  return new Map([
    ['configmap.yaml', stringify(rename(configMap(0), `${app}-config`))],
    ['secret.yaml', stringify(rename(secret(0), `${app}-secret`))],
    ['service.yaml', stringify(rename(service(0), `${app}-svc`))],
    ['deployment.yaml', stringify(rename(deployment(0), `${app}-deploy`))],
  ]);
}

/**
 * One application of a monorepo: 40 files (manifests, a README, a values
 * file, a couple of scripts), a few hundred bytes to a few KB each, so the
 * repository looks like real application folders and not like copies.
 */
export function monorepoApp(app: number): Manifests {
  const files: Manifests = new Map();
  for (let i = 0; i < 36; i++) {
    const object = [configMap, secret, service, deployment][i % 4]!(app * 100 + i);
    files.set(`manifests/${String(i).padStart(2, '0')}.yaml`, stringify(object));
  }
  files.set(
    'README.md',
    `# app ${app}\n\n${'Owned by team '.concat(String(app % 17), '.\n').repeat(20)}`,
  );
  files.set('values.yaml', stringify({ app, replicas: app % 3, image: { tag: `1.${app}.0` } }));
  files.set('scripts/check.sh', `#!/bin/sh\nset -e\necho checking app ${app}\n`);
  files.set('scripts/notes.txt', `${'notes '.repeat(40 + (app % 30))}\n`);
  return files;
}

/** Writes manifests under `dir`, creating folders as needed. */
export function writeManifests(dir: string, files: Manifests): void {
  for (const [path, text] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Application definition for the CLI, on the local cluster named `cluster`. */
export function applicationYaml(options: {
  name: string;
  repoURL: string;
  path: string;
  namespace: string;
  cluster: string;
}): string {
  return stringify({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: options.name },
    spec: {
      source: { repoURL: options.repoURL, targetRevision: 'main', path: options.path },
      destination: { cluster: options.cluster, namespace: options.namespace },
      syncPolicy: { automated: { prune: true } },
    },
  });
}

/**
 * A typical microservice application of 30 objects (sock-shop's shape): six
 * services each with a Deployment (one replica), a Service, a ConfigMap and
 * a ServiceAccount, one Secret, one Ingress in front, and four shared ConfigMaps.
 */
export function microserviceManifests(): Manifests {
  const files: Manifests = new Map();
  const services = ['front-end', 'catalogue', 'carts', 'orders', 'payment', 'user'];
  for (const [i, name] of services.entries()) {
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } };
    const deploy = deployment(i) as { metadata: { name: string }; spec: Record<string, unknown> };
    const svc = service(i) as { metadata: { name: string } };
    const cm = configMap(i) as { metadata: { name: string } };
    deploy.metadata.name = name;
    deploy.spec.replicas = 1;
    svc.metadata.name = name;
    cm.metadata.name = `${name}-config`;
    files.set(`${name}-serviceaccount.yaml`, stringify(sa));
    files.set(`${name}-deployment.yaml`, stringify(deploy));
    files.set(`${name}-service.yaml`, stringify(svc));
    files.set(`${name}-configmap.yaml`, stringify(cm));
  }
  for (let i = 0; i < 4; i++) files.set(`shared-config-${i}.yaml`, stringify(configMap(100 + i)));
  files.set('shared-secret.yaml', stringify(secret(0)));
  files.set(
    'shared-ingress.yaml',
    stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop' },
      spec: {
        rules: [
          {
            host: 'shop.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'front-end', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    }),
  );
  return files;
}
