import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../shared/kube/client.ts';
import { cluster } from '../harness/context.ts';

describe('KubeClient', () => {
  // Accepts connections and never answers, like an API server behind a black hole.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  let silentURL: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentURL = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('ends requests still in flight when closed, instead of retrying them', async () => {
    const client = new KubeClient({ server: silentURL, insecureSkipTlsVerify: true });
    const pending = client.request({ method: 'GET', path: '/version', timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    client.close();
    await expect(pending).rejects.toThrow(/client closed|closed/);
    // Well before the request's own 20 s timeout and any retry.
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(client.request({ method: 'GET', path: '/version' })).rejects.toThrow(
      `client for ${silentURL} is closed`,
    );
  });

  it('still answers normally until it is closed', async () => {
    const a = cluster('cluster-a');
    const client = new KubeClient({
      server: a.server,
      ca: readFileSync(a.caFile),
      token: a.adminToken,
    });
    const version = await client.request<{ gitVersion: string }>({
      method: 'GET',
      path: '/version',
    });
    expect(version.gitVersion).toMatch(/^v1\.36\./);
    client.close();
  });
});
