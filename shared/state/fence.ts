import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Lease } from './lease.ts';

export interface FenceCondition {
  condition: string;
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

/**
 * The condition every state, inventory and history write carries. Each
 * acquisition raises `fence` on the head item, so once another reconciler has
 * taken over, a holder that stalled past its lease fails this check instead of
 * overwriting newer work; the owner check also refuses writes after release.
 * Clocks play no part here: safety holds even when the lease expiry was misjudged.
 */
export function fenced(lease: Lease): FenceCondition {
  return {
    condition: '#fence = :fenceToken AND #leaseOwner = :fenceOwner',
    names: { '#fence': 'fence', '#leaseOwner': 'leaseOwner' },
    values: { ':fenceToken': { N: String(lease.token) }, ':fenceOwner': { S: lease.owner } },
  };
}
