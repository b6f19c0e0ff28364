// Iterates one packed block point by point, with the fields MultiStreamIterator
// reads from an M3TSZ iterator. reset() decodes the whole block into reused
// columns, so next() is an index step; a corrupt block yields no points and
// sets `error`.
import { TimeUnit } from "../x/index.js";
import { packedCount, unpackSeries } from "./packed-decoder.js";
import { PackedCorruptError } from "./packed-errors.js";

/** Iterates the points of one packed block. */
export class PackedIterator {
  /** Epoch milliseconds of the current point. */
  timeMs = 0;
  /** Always 0: packed blocks hold whole milliseconds. */
  readonly nsInMs = 0;
  /** Value of the current point. */
  value = 0;
  /** Always milliseconds, the precision packed blocks keep. */
  readonly unit: number = TimeUnit.Millisecond;
  /** Always null: packed blocks carry no annotations. */
  readonly annotation: Uint8Array | null = null;
  /** Why the block could not be read; null when it could. */
  error: PackedCorruptError | null = null;

  private times = new Float64Array(0);
  private values = new Float64Array(0);
  private n = 0;
  private index = 0;

  constructor(bytes: Uint8Array | null = null) {
    if (bytes !== null) this.reset(bytes);
  }

  /** Starts iterating `bytes`, reusing this iterator's columns. */
  reset(bytes: Uint8Array): void {
    this.error = null;
    this.index = 0;
    this.n = 0;
    this.timeMs = 0;
    this.value = 0;
    try {
      const n = packedCount(bytes);
      if (this.times.length < n) this.grow(n);
      this.n = unpackSeries(bytes, this.times, this.values);
    } catch (err) {
      if (!(err instanceof PackedCorruptError)) throw err;
      this.error = err;
    }
  }

  /** Moves to the next point; false at the end (or at once for a corrupt block). */
  next(): boolean {
    const i = this.index;
    if (i >= this.n) return false;
    this.timeMs = this.times[i];
    this.value = this.values[i];
    this.index = i + 1;
    return true;
  }

  /** Number of points read so far. */
  get count(): number {
    return this.index;
  }

  private grow(n: number): void {
    let size = Math.max(64, this.times.length);
    while (size < n) size *= 2;
    this.times = new Float64Array(size);
    this.values = new Float64Array(size);
  }
}
