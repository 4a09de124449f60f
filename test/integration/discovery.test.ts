import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Discovery } from '../../shared/kube/discovery.ts';
import { cluster } from '../harness/context.ts';
import { clientFor } from '../helpers/engine.ts';

const admin = clientFor(cluster('cluster-a'));
afterAll(() => admin.close());

/** Reads of the aggregated discovery documents (/apis) this process sends while `work` runs. */
async function discoveryReads(work: () => Promise<unknown>): Promise<number> {
  let reads = 0;
  const listener = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    if (request.path === '/apis') reads++;
  };
  subscribe('http.client.request.start', listener);
  try {
    await work();
  } finally {
    unsubscribe('http.client.request.start', listener);
  }
  return reads;
}

describe('discovery', () => {
  it('re-reads once for a kind it does not know, however many objects of it are looked up', async () => {
    const discovery = new Discovery(admin);
    const absent = () => discovery.find('widgets.example.com/v1', 'Widget');
    const reads = await discoveryReads(async () => {
      await Promise.all(Array.from({ length: 50 }, absent));
      for (let i = 0; i < 50; i++) expect(await absent()).toBeUndefined();
    });
    // The first read, and one more for the miss.
    expect(reads).toBe(2);
    expect(await discovery.find('apps/v1', 'Deployment')).toMatchObject({
      resource: 'deployments',
    });
  });

  it('looks again after refresh, as after creating a CRD', async () => {
    const discovery = new Discovery(admin);
    await discovery.find('widgets.example.com/v1', 'Widget');
    const reads = await discoveryReads(async () => {
      await discovery.refresh();
      await discovery.find('widgets.example.com/v1', 'Widget');
    });
    expect(reads).toBe(2);
  });
});
