import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectionFromKubeconfig } from '../../shared/kube/kubeconfig.ts';

describe('kubeconfig reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-kubeconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), 'CA-PEM');
  writeFileSync(join(dir, 'client.pem'), 'CLIENT-PEM');
  writeFileSync(join(dir, 'client.key'), 'CLIENT-KEY');
  writeFileSync(join(dir, 'token'), 'file-token\n');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'dev',
    clusters: [
      {
        name: 'dev',
        cluster: { server: 'https://dev.example:6443', 'certificate-authority': 'ca.pem' },
      },
      {
        name: 'prod',
        cluster: {
          server: 'https://prod.example',
          'certificate-authority-data': Buffer.from('PROD-CA').toString('base64'),
        },
      },
      { name: 'lab', cluster: { server: 'https://lab.example', 'insecure-skip-tls-verify': true } },
    ],
    users: [
      { name: 'dev', user: { token: 'dev-token' } },
      { name: 'prod', user: { 'client-certificate': 'client.pem', 'client-key': 'client.key' } },
      { name: 'lab', user: { tokenFile: join(dir, 'token') } },
      {
        name: 'exec',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'sh',
            args: [
              '-c',
              `echo '${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } })}'`,
            ],
            interactiveMode: 'Never',
          },
        },
      },
    ],
    contexts: [
      { name: 'dev', context: { cluster: 'dev', user: 'dev' } },
      { name: 'prod', context: { cluster: 'prod', user: 'prod' } },
      { name: 'lab', context: { cluster: 'lab', user: 'lab' } },
      { name: 'exec', context: { cluster: 'prod', user: 'exec' } },
    ],
  };
  const file = join(dir, 'config');
  writeFileSync(file, stringify(config));

  it('reads the current context: server, token, CA file relative to the kubeconfig', async () => {
    const c = await connectionFromKubeconfig({ file });
    expect(c).toEqual({
      server: 'https://dev.example:6443',
      token: 'dev-token',
      ca: Buffer.from('CA-PEM'),
    });
  });

  it('reads client certificates, inline CA data, token files and insecure clusters by context', async () => {
    expect(await connectionFromKubeconfig({ file }, 'prod')).toEqual({
      server: 'https://prod.example',
      ca: Buffer.from('PROD-CA'),
      clientCert: Buffer.from('CLIENT-PEM'),
      clientKey: Buffer.from('CLIENT-KEY'),
    });
    expect(await connectionFromKubeconfig({ file }, 'lab')).toEqual({
      server: 'https://lab.example',
      token: 'file-token',
      insecureSkipTlsVerify: true,
    });
  });

  it('hands exec plugins to client-node', async () => {
    const c = await connectionFromKubeconfig({ file }, 'exec');
    expect(c).toMatchObject({ server: 'https://prod.example', token: 'from-exec' });
  });

  it('names the contexts it has when asked for one it has not', async () => {
    await expect(connectionFromKubeconfig({ file }, 'staging')).rejects.toThrow(
      'kubeconfig has no context "staging" (it has: dev, prod, lab, exec)',
    );
    await expect(
      connectionFromKubeconfig({ yaml: 'apiVersion: v1\nkind: Config\n' }),
    ).rejects.toThrow('kubeconfig has no current context with a cluster');
  });
});
