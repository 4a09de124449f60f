import { applyObject, getObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.ts';

const NAMESPACE_INFO = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  namespaced: false,
};

export async function namespaceExists(ctx: SyncContext, name: string): Promise<boolean> {
  return (await getObject(ctx.client, NAMESPACE_INFO, undefined, name)) !== undefined;
}

/**
 * Creates a namespace with our manager and label but without the app
 * annotation: it is in no inventory and is never pruned with the app.
 */
export async function createNamespace(ctx: SyncContext, name: string): Promise<void> {
  await applyObject(
    ctx.client,
    NAMESPACE_INFO,
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
    },
    { fieldManager: FIELD_MANAGER, force: false },
  );
}
