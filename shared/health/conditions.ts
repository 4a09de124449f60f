/** A status condition as most controllers write it. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
}

export function conditionsOf(status: unknown): Condition[] {
  const conditions = (status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as Condition[]) : [];
}

export function findCondition(status: unknown, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

export function describeCondition(c: Condition): string {
  return [c.type, c.reason, c.message].filter(Boolean).join(': ');
}
