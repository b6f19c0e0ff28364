// Merges several M3TSZ streams of one series into a single time-ordered
// sequence. Where streams hold the same instant, the datapoint of the stream
// given later wins (and within one stream, the later datapoint), matching
// M3's default "last pushed" rule; storage lists its encoders oldest first so
// the newest write wins.
import { TimeUnit } from "../x/index.js";
import type { StreamCorruptError } from "./errors.js";
import type { M3tszOptions } from "./m3tsz-format.js";
import { M3tszIterator } from "./m3tsz-iterator.js";

/** Iterates the merged datapoints of several streams of the same series. */
export class MultiStreamIterator {
  timeMs = 0;
  nsInMs = 0;
  value = 0;
  unit: number = TimeUnit.None;
  annotation: Uint8Array | null = null;
  /** The first stream fault met; iteration stops there. */
  error: StreamCorruptError | null = null;

  private readonly options: M3tszOptions;
  private readonly iters: M3tszIterator[] = [];
  /** live[i] is true while iters[i] holds an unread datapoint. */
  private live: boolean[] = [];
  private count = 0;

  constructor(options: M3tszOptions = {}) {
    this.options = options;
  }

  /** Starts merging `streams`, oldest first; reuses the child iterators. */
  reset(streams: readonly Uint8Array[]): void {
    this.error = null;
    this.count = streams.length;
    while (this.iters.length < streams.length)
      this.iters.push(new M3tszIterator(null, this.options));
    for (let i = 0; i < streams.length; i++) {
      this.iters[i].reset(streams[i]);
      this.live[i] = this.advance(i);
    }
  }

  /** Moves to the next merged datapoint; false at the end or on a stream fault. */
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
    // Take every datapoint at this instant, in stream order; the last taken wins.
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
