// What the crash test writes: a value fixed by (series, sequence), so that a
// datapoint read back can be checked for having been written at all.
import { seriesIdString } from "../../src/x/index.js";

export const NAMESPACE = "crash";
/** Few shards: a flush writes one volume per shard with data, and kills should land in all of them. */
export const CRASH_SHARDS = 4;
/**
 * The namespace in flush mode, where time is the sequence: 200 ms blocks
 * flushed 50 ms after they end; writes at "now" may fall outside the
 * second-truncated warm window, so cold writes are on.
 */
export const CRASH_NAMESPACE_OPTIONS = {
  blockSizeMs: 200,
  bufferPastMs: 50,
  bufferFutureMs: 100,
  retentionPeriodMs: 2 * 24 * 3600_000,
  coldWritesEnabled: true,
  index: { enabled: true, blockSizeMs: 400 },
};
/** The plain mode's namespace: real time, the index on with its default block size. */
export const PLAIN_NAMESPACE_OPTIONS = { bufferFutureMs: 100 * 60_000, index: { enabled: true } };
/** The storage engine's debug messages that mark where a flush run is. */
export const PHASE_MESSAGE = /^(flush|index|snapshot|cleanup) (started|done)$/;

export function seriesTagsFor(s: number): [string, string][] {
  return [
    ["__name__", "crash_test_metric"],
    ["series", String(s)],
  ];
}

export function seriesIdFor(s: number): string {
  return seriesIdString(seriesTagsFor(s));
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The value of series s at sequence seq: mostly exact integers, sometimes the stale-marker NaN. */
export function crashValue(s: number, seq: number): number {
  if ((seq + s) % 97 === 0) {
    u32[0] = 2;
    u32[1] = 0x7ff00000;
    return f64[0];
  }
  return s * 1_000_000 + seq;
}

/** True when two numbers have the same bits (NaN payloads included). */
export function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  const lo = u32[0];
  const hi = u32[1];
  f64[0] = b;
  return lo === u32[0] && hi === u32[1];
}
