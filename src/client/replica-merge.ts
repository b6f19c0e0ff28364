// One series as several replicas hold it, merged into one time-ordered
// sequence with each instant once. Each replica's pieces decode through
// MultiStreamIterator (which already resolves a replica's own duplicates,
// the later write winning); across replicas, an instant held by several
// takes its value by the equal-timestamp strategy (M3's
// iterate_equal_timestamp_strategy):
// - iterate_last_pushed (M3's default): the last replica in the given order
//   (the cluster client orders replicas by instance ID, so the greatest wins);
// - iterate_highest_value / iterate_lowest_value: the greatest / least value
//   (a NaN only where every replica holds NaN);
// - iterate_highest_frequency_value: the value most replicas hold (NaNs
//   alike), ties going to the tied value seen last in the replica order.

import { MultiStreamIterator, type SeriesData } from "../codec/index.js";
import type { EqualTimestampStrategy } from "./client.js";

/** A merged series' datapoints: the first `count` of each column. */
export interface MergedPoints {
  timesMs: Float64Array;
  values: Float64Array;
  count: number;
}

/** One replica decoded: its datapoints in the range, oldest first. */
interface Decoded {
  timesMs: Float64Array;
  values: Float64Array;
  count: number;
}

/** Merges the replicas of series after series, decoding through one reused iterator. */
export class ReplicaMerger {
  private readonly it = new MultiStreamIterator();

  /**
   * Merges `replicas` (each a replica's pieces, in the replica order) over
   * [startMs, endMs], both ends included. Throws the first decode fault.
   */
  merge(
    replicas: readonly (readonly SeriesData[])[],
    startMs: number,
    endMs: number,
    strategy: EqualTimestampStrategy,
  ): MergedPoints {
    const decoded: Decoded[] = replicas.map((pieces) => this.decode(pieces, startMs, endMs));
    if (decoded.length === 1) return decoded[0];
    return mergeDecoded(decoded, strategy);
  }

  private decode(pieces: readonly SeriesData[], startMs: number, endMs: number): Decoded {
    const it = this.it;
    it.reset(pieces);
    let timesMs = new Float64Array(INITIAL_POINTS);
    let values = new Float64Array(INITIAL_POINTS);
    let count = 0;
    while (it.next()) {
      const t = it.timeMs;
      if (t < startMs || t > endMs) continue;
      if (count === timesMs.length) {
        timesMs = grow(timesMs);
        values = grow(values);
      }
      timesMs[count] = t;
      values[count] = it.value;
      count++;
    }
    if (it.error !== null) throw it.error;
    return { timesMs, values, count };
  }
}

/** Room for this many datapoints at first; it doubles as a replica holds more. */
const INITIAL_POINTS = 64;

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function mergeDecoded(
  replicas: readonly Decoded[],
  strategy: EqualTimestampStrategy,
): MergedPoints {
  const n = replicas.length;
  let total = 0;
  for (const r of replicas) total += r.count;
  const timesMs = new Float64Array(total);
  const values = new Float64Array(total);
  const pos = new Int32Array(n);
  // The replicas holding the current instant, in replica order.
  const at: number[] = [];
  let count = 0;
  for (;;) {
    let minT = Number.POSITIVE_INFINITY;
    for (let r = 0; r < n; r++) {
      if (pos[r] < replicas[r].count) {
        const t = replicas[r].timesMs[pos[r]];
        if (t < minT) minT = t;
      }
    }
    if (minT === Number.POSITIVE_INFINITY) break;
    at.length = 0;
    for (let r = 0; r < n; r++) {
      if (pos[r] < replicas[r].count && replicas[r].timesMs[pos[r]] === minT) at.push(r);
    }
    let value: number;
    if (at.length === 1) {
      value = replicas[at[0]].values[pos[at[0]]];
    } else {
      value = pick(replicas, pos, at, strategy);
    }
    for (const r of at) pos[r]++;
    timesMs[count] = minT;
    values[count] = value;
    count++;
  }
  return { timesMs, values, count };
}

/** The value of the instant the replicas `at` hold, by `strategy`. */
function pick(
  replicas: readonly Decoded[],
  pos: Int32Array,
  at: readonly number[],
  strategy: EqualTimestampStrategy,
): number {
  const valueAt = (r: number): number => replicas[r].values[pos[r]];
  if (strategy === "iterate_last_pushed") return valueAt(at[at.length - 1]);
  if (strategy === "iterate_highest_value" || strategy === "iterate_lowest_value") {
    const highest = strategy === "iterate_highest_value";
    let best = Number.NaN;
    for (const r of at) {
      const v = valueAt(r);
      // A NaN never compares greater or less, so it wins only as the first seen and then loses to any number.
      if (Number.isNaN(best) || (highest ? v > best : v < best)) best = v;
    }
    // Every replica holds NaN: keep one of them as it is (a stale marker stays one).
    return Number.isNaN(best) ? valueAt(at[at.length - 1]) : best;
  }
  // iterate_highest_frequency_value: count each value; the latest-seen of the most frequent wins.
  let bestValue = valueAt(at[0]);
  let bestCount = 0;
  for (let i = 0; i < at.length; i++) {
    const v = valueAt(at[i]);
    let c = 0;
    for (const r of at) if (Object.is(valueAt(r), v) || (v === 0 && valueAt(r) === 0)) c++;
    if (c >= bestCount) {
      bestCount = c;
      bestValue = v;
    }
  }
  return bestValue;
}
