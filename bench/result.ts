/** One row of bench/results.json. Field names are the issue's, snake_case included. */
export interface CaseResult {
  name: string;
  ours_s?: number;
  baseline?: string;
  baseline_s?: number;
  /** baseline_s / ours_s: how many times faster we are. */
  ratio?: number;
  /**
   * Flux's engine (bench/peers/flux-apply: its ApplyAllStaged call, in its
   * process) on the same work, and flux_s / engine_s: engine against engine.
   */
  flux_s?: number;
  flux_ratio?: number;
  /** Our engine's own time in the CLI run (its result's totalMs): no process start, module loading or state. */
  engine_s?: number;
  peak_rss_mb?: number;
  /** DynamoDB capacity units one scheduled check consumed (noop-1000, cost-check-*). */
  dynamo_read_units?: number;
  dynamo_write_units?: number;
  /** The check's cost per application-month (cost-check-*); the inputs are in details. */
  usd_per_app_month?: number;
  bytes?: number;
  import_s?: number;
  target?: string;
  met?: boolean;
  /** Repetitions the medians come from. */
  runs?: number;
  /** What a reader needs to interpret the numbers: phases, counts, choices made. */
  notes?: string;
  details?: Record<string, unknown>;
}

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** Fills ratio from the two times. */
export function compared(
  result: Omit<CaseResult, 'ratio'> & { ours_s: number; baseline_s: number },
): CaseResult {
  return {
    ...result,
    ours_s: round(result.ours_s),
    baseline_s: round(result.baseline_s),
    ratio: round(result.baseline_s / result.ours_s, 1),
  };
}
