// At most `maxConcurrent` queries run at once; up to `maxQueued` more wait
// in arrival order, and one past that is refused at once (503 unavailable).
// Time spent waiting counts toward the query's timeout: a query still
// waiting at its deadline leaves the queue with Prometheus's timeout error.

import { QueryError, QueryTimeoutError } from "../errors.js";

/** The queue of waiting queries is full: 503 unavailable. */
export class QueryQueueFullError extends QueryError {
  constructor(maxConcurrent: number, maxQueued: number) {
    super(
      "unavailable",
      503,
      `too many queries: ${maxConcurrent} running and ${maxQueued} waiting, ` +
        `the most query.maxConcurrent and query.maxQueued allow; retry later`,
      "M3TS_ERR_QUERY_QUEUE_FULL",
    );
  }
}

interface Waiter {
  grant: () => void;
  timer: ReturnType<typeof setTimeout>;
}

export class QueryGate {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(maxConcurrent: number, maxQueued: number) {
    if (!(Number.isInteger(maxConcurrent) && maxConcurrent >= 1)) {
      throw new RangeError(`maxConcurrent ${maxConcurrent} must be an integer >= 1`);
    }
    if (!(Number.isInteger(maxQueued) && maxQueued >= 0)) {
      throw new RangeError(`maxQueued ${maxQueued} must be an integer >= 0`);
    }
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }

  /** Queries running now. */
  get active(): number {
    return this.running;
  }

  /** Queries waiting now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once the query may run; rejects with
   * QueryQueueFullError when the queue is full, or QueryTimeoutError when
   * `timeoutMs` passes while it waits. Call release exactly once.
   */
  acquire(timeoutMs: number): Promise<() => void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueued) {
      return Promise.reject(new QueryQueueFullError(this.maxConcurrent, this.maxQueued));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new QueryTimeoutError(timeoutMs, "query queue"));
        }, timeoutMs),
      };
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` stays.
      if (next !== undefined) next.grant();
      else this.running--;
    };
  }
}
