/**
 * Memory's background work (learning from an exchange, embedding texts, noting use):
 * in process, bounded, never on a request's path. A job that fails is logged, and the
 * same failure again within ten minutes is only counted, so a provider that is down does
 * not fill the log with one line per exchange. When the queue is full new jobs are
 * dropped (and that is said once per episode): memory is a convenience, the answers are not.
 */

const REPEAT_QUIET_MS = 10 * 60_000;

export interface QueueOptions {
  /** Jobs waiting at most; more are dropped. */
  limit: number;
  /** Jobs running at once. */
  concurrency: number;
  log: (line: string) => void;
}

export class JobQueue {
  private readonly waiting: { name: string; run: () => Promise<void> }[] = [];
  private running = 0;
  private closed = false;
  private full = false;
  private readonly lastLogged = new Map<string, { at: number; repeats: number }>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: QueueOptions) {}

  /** Queues a job; false when it was dropped (queue full or closed). */
  push(name: string, run: () => Promise<void>): boolean {
    if (this.closed) return false;
    if (this.waiting.length >= this.options.limit) {
      if (!this.full) this.options.log(`Memory: the background queue is full (${this.options.limit} jobs); dropping new work until it drains.`);
      this.full = true;
      return false;
    }
    this.waiting.push({ name, run });
    this.next();
    return true;
  }

  get size(): number {
    return this.waiting.length + this.running;
  }

  private next(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      if (this.waiting.length === 0) this.full = false;
      this.running++;
      void job
        .run()
        .catch((error) => this.failed(job.name, error))
        .finally(() => {
          this.running--;
          this.next();
          if (this.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
  }

  private failed(name: string, error: unknown): void {
    const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
    const now = Date.now();
    const last = this.lastLogged.get(message);
    if (last && now - last.at < REPEAT_QUIET_MS) {
      last.repeats++;
      return;
    }
    const repeats = last?.repeats ? ` (and ${last.repeats} more times since it was last logged)` : "";
    this.lastLogged.set(message, { at: now, repeats: 0 });
    this.options.log(`Memory: ${message}${repeats}`);
  }

  /** Resolves when nothing is waiting or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more work; resolves when what was queued has finished, or after `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
