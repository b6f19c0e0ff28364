// Time sources. Core logic takes a Clock so tests can move time across block
// and retention boundaries without waiting; only the CLI wires the system one.

/** A source of the current time in epoch milliseconds. */
export interface Clock {
  nowMs(): number;
}

/** The machine's wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that moves only when told to, for tests. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(startMs: number) {
    this.ms = startMs;
  }

  nowMs(): number {
    return this.ms;
  }

  /** Sets the time; it may move backwards, as a wall clock can. */
  set(ms: number): void {
    this.ms = ms;
  }

  /** Moves the time forward by `ms`. */
  advance(ms: number): void {
    this.ms += ms;
  }
}
