// The simulation's scheduler: one seeded random source, and a queue of
// pending I/O completions of which it releases one at a time, so the seed
// alone decides how the engine's asynchronous steps interleave.
import { seededRandom } from "../../src/x/index.js";

/** Event-loop turns with no I/O pending the pump allows before it calls a step hung (CPU work such as an index seal yields many turns). */
const MAX_IDLE_TURNS = 5_000;

/** What a simulated disk needs of the scheduler: seeded choices and I/O completions to wait for. */
export interface IoScheduler {
  random(): number;
  int(n: number): number;
  io(label: string): Promise<void>;
}

export class SimScheduler implements IoScheduler {
  readonly random: () => number;
  /** Each pending completion with the process whose I/O it is ("" for none named). */
  private pending: { label: string; owner: string; resolve: () => void }[] = [];
  /** I/O operations released so far. */
  released = 0;
  /** Called with each operation's label as it is released (for --trace-io). */
  onRelease: ((label: string) => void) | null = null;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** Completions waiting to be released. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Resolves when the scheduler releases this operation. */
  io(label: string, owner = ""): Promise<void> {
    return new Promise<void>((resolve) => this.pending.push({ label, owner, resolve }));
  }

  /** The same scheduler, with every I/O operation put down as `owner`'s (one node of several). */
  ownedBy(owner: string): IoScheduler {
    return {
      random: () => this.random(),
      int: (n) => this.int(n),
      io: (label) => this.io(`${owner} ${label}`, owner),
    };
  }

  /**
   * Drops pending completions, every one or only `owner`'s: the operations
   * of a crashed process never finish.
   */
  abandon(owner?: string): void {
    this.pending = owner === undefined ? [] : this.pending.filter((op) => op.owner !== owner);
  }

  /**
   * Releases work in seeded order (runUntil) until `p` settles: its value,
   * null when it has not settled within `maxReleases`; rejects as `p` did.
   */
  async settle<T>(p: Promise<T>, maxReleases: number): Promise<{ value: T } | null> {
    let done = false;
    let value: T | undefined;
    let error: unknown = null;
    let threw = false;
    p.then(
      (v) => {
        done = true;
        value = v;
      },
      (e) => {
        done = true;
        threw = true;
        error = e;
      },
    );
    if (!(await this.runUntil(() => done, maxReleases))) return null;
    if (threw) throw error;
    return { value: value as T };
  }

  /**
   * Runs the event loop, releasing pending I/O in seeded order, until `done()`
   * holds; `maxReleases` bounds the work. Only setImmediate turns are used,
   * and no real timer or I/O runs, so the order is a function of the seed.
   */
  async runUntil(done: () => boolean, maxReleases: number): Promise<boolean> {
    let idle = 0;
    for (let n = 0; n < maxReleases; ) {
      await new Promise<void>((r) => setImmediate(r));
      if (done()) return true;
      if (this.pending.length === 0) {
        if (++idle > MAX_IDLE_TURNS) return done();
        continue;
      }
      idle = 0;
      const i = this.int(this.pending.length);
      const [op] = this.pending.splice(i, 1);
      this.released++;
      n++;
      this.onRelease?.(op.label);
      op.resolve();
    }
    return done();
  }
}
