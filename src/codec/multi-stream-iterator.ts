// Merges several sources of one series (M3TSZ streams and packed blocks, in
// any mix) into a single time-ordered sequence. Where sources hold the same
// instant, the datapoint of the source given later wins (and within one
// source, the later datapoint), matching M3's default "last pushed" rule;
// storage lists its sources oldest first so the newest write wins.
import { TimeUnit } from "../x/index.js";
import type { StreamCorruptError } from "./errors.js";
import type { M3tszOptions } from "./m3tsz-format.js";
import { M3tszIterator } from "./m3tsz-iterator.js";
import type { PackedCorruptError } from "./packed-errors.js";
import { PackedIterator } from "./packed-iterator.js";
import { isPacked, type SeriesData } from "./series-data.js";

/** What the merge reads from each source's iterator. */
interface SourceIterator {
  readonly timeMs: number;
  readonly nsInMs: number;
  readonly value: number;
  readonly unit: number;
  readonly annotation: Uint8Array | null;
  readonly error: StreamCorruptError | PackedCorruptError | null;
  next(): boolean;
}

/** Iterates the merged datapoints of several sources of the same series. */
export class MultiStreamIterator {
  timeMs = 0;
  nsInMs = 0;
  value = 0;
  unit: number = TimeUnit.None;
  annotation: Uint8Array | null = null;
  /** The first source fault met; iteration stops there. */
  error: StreamCorruptError | PackedCorruptError | null = null;

  private readonly options: M3tszOptions;
  // One iterator of each kind per source slot, made on first use and reused.
  private readonly m3tsz: M3tszIterator[] = [];
  private readonly packed: PackedIterator[] = [];
  /** iters[i] is whichever of the two reads source i. */
  private readonly iters: SourceIterator[] = [];
  /** live[i] is true while iters[i] holds an unread datapoint. */
  private live: boolean[] = [];
  private count = 0;

  constructor(options: M3tszOptions = {}) {
    this.options = options;
  }

  /** Starts merging `sources`, oldest first; reuses the child iterators. */
  reset(sources: readonly SeriesData[]): void {
    this.error = null;
    this.count = sources.length;
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i];
      if (isPacked(source)) {
        let it = this.packed[i];
        if (it === undefined) {
          it = new PackedIterator();
          this.packed[i] = it;
        }
        it.reset(source.bytes);
        this.iters[i] = it;
      } else {
        let it = this.m3tsz[i];
        if (it === undefined) {
          it = new M3tszIterator(null, this.options);
          this.m3tsz[i] = it;
        }
        it.reset(source);
        this.iters[i] = it;
      }
      this.live[i] = this.advance(i);
    }
  }

  /** Moves to the next merged datapoint; false at the end or on a source fault. */
  next(): boolean {
    if (this.error !== null) return false;
    const iters = this.iters;
    let best = -1;
    let bestMs = 0;
    let bestNs = 0;
    for (let i = 0; i < this.count; i++) {
      if (!this.live[i]) continue;
      const it = iters[i];
      if (best < 0 || it.timeMs < bestMs || (it.timeMs === bestMs && it.nsInMs < bestNs)) {
        best = i;
        bestMs = it.timeMs;
        bestNs = it.nsInMs;
      }
    }
    if (best < 0) return false;
    // Take every datapoint at this instant, in source order; the last taken wins.
    for (let i = best; i < this.count; i++) {
      const it = iters[i];
      while (this.live[i] && it.timeMs === bestMs && it.nsInMs === bestNs) {
        this.value = it.value;
        this.unit = it.unit;
        this.annotation = it.annotation;
        this.live[i] = this.advance(i);
      }
    }
    if (this.error !== null) return false;
    this.timeMs = bestMs;
    this.nsInMs = bestNs;
    return true;
  }

  private advance(i: number): boolean {
    const it = this.iters[i];
    if (it.next()) return true;
    if (it.error !== null && this.error === null) this.error = it.error;
    return false;
  }
}
