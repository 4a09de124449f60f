/**
 * Proof of holding an application's lease. `token` is the fencing token: it
 * grows with every acquisition and every write made with this lease carries it.
 *
 * Its own file because both sides need it: lease.ts makes one (acquire, renew)
 * and hands it to fence.ts to write; fence.ts and every fenced writer
 * (app-state, history, inventory-store) only read it.
 */
export interface Lease {
  app: string;
  owner: string;
  token: number;
  /** Epoch ms, by the holder's clock, after which others may take over. */
  expiresAt: number;
}
