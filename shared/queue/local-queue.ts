import { QueueMessage, type QueueMessageInput, type ReconcileQueue } from './message.ts';

/** A retry that knows when it can succeed: a busy lease's expiry (a `MessageOutcome` retry fits). */
export interface TimedRetry {
  kind: 'retry';
  retryAfterMs?: number;
}

export interface LocalQueueOptions {
  /** Messages processed at once. */
  workers: number;
  /**
   * Handles one message; `retry` puts it back after `retryDelayMs`, like an
   * SQS visibility timeout, and a retry with `retryAfterMs` after that instead.
   */
  process: (body: string) => Promise<'done' | 'retry' | TimedRetry>;
  retryDelayMs?: number;
  /** After this many tries a message is dropped and reported (a dead-letter queue's job). */
  maxAttempts?: number;
  onDeadLetter?: (message: QueueMessage, attempts: number) => void;
}

interface Pending {
  body: string;
  attempts: number;
}

/**
 * The queue of local mode (`driftless serve`): the same messages and the same
 * retry-on-busy semantics as SQS with its event source, in one process.
 */
export class LocalReconcileQueue implements ReconcileQueue {
  private readonly options: LocalQueueOptions;
  private readonly ready: Pending[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: LocalQueueOptions) {
    this.options = options;
  }

  async send(messages: { message: QueueMessageInput; delaySeconds?: number }[]): Promise<void> {
    for (const { message, delaySeconds } of messages) {
      const body = JSON.stringify(QueueMessage.parse(message));
      this.later({ body, attempts: 0 }, (delaySeconds ?? 0) * 1000);
    }
  }

  private later(item: Pending, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.ready.push(item);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push(item);
      this.pump();
    }, delayMs);
    this.timers.add(timer);
  }

  private pump(): void {
    while (!this.stopped && this.active < this.options.workers && this.ready.length > 0) {
      const item = this.ready.shift()!;
      this.active++;
      void this.run(item);
    }
  }

  private async run(item: Pending): Promise<void> {
    item.attempts++;
    let outcome: 'done' | 'retry' | TimedRetry;
    try {
      outcome = await this.options.process(item.body);
    } catch {
      outcome = 'retry';
    }
    this.active--;
    if (outcome !== 'done') {
      if (item.attempts >= (this.options.maxAttempts ?? 10)) {
        this.options.onDeadLetter?.(QueueMessage.parse(JSON.parse(item.body)), item.attempts);
      } else {
        const hinted = outcome === 'retry' ? undefined : outcome.retryAfterMs;
        this.later(item, hinted ?? this.options.retryDelayMs ?? 5_000);
      }
    }
    this.pump();
    if (this.active === 0 && this.ready.length === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Stops taking work: drops delayed and queued messages and waits for running ones to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
