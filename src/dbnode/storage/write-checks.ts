// The checks a datapoint passes before it is written: batch consistency,
// time and unit, and the write window.
import type { WriteBatch } from "../ts/index.js";
import { InvalidWriteError } from "./errors.js";
import type { WriteWindow } from "./namespace.js";

/** Why a datapoint outside the warm range is refused, or null when it is a valid cold write. */
export function outsideWindow(t: number, w: WriteWindow, coldOk: boolean): string | null {
  const past = t < w.warmStartMs;
  if (!coldOk) {
    return past
      ? `it is older than bufferPast allows and cold writes are disabled`
      : `it is further in the future than bufferFuture allows and cold writes are disabled`;
  }
  if (past && t < w.retentionStartMs) return "it is older than the namespace's retention";
  if (!past && t >= w.futureEndMs) return "it is further in the future than the namespace accepts";
  return null;
}

export function badTime(t: number, ns: number): InvalidWriteError {
  return new InvalidWriteError(
    "time",
    `timestamp must be integer epoch milliseconds plus 0..999999 ns, got ${t} ms + ${ns} ns`,
  );
}

/** Rejects batches whose columns disagree in length: a caller bug, not a datapoint error. */
export function checkBatchShape(b: WriteBatch): void {
  const n = b.count;
  const short = (name: string, col: ArrayLike<unknown> | undefined) => {
    if (col !== undefined && col.length < n) {
      throw new InvalidWriteError(
        name,
        `batch column ${name} has ${col.length} entries for ${n} datapoints`,
      );
    }
  };
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidWriteError("count", `batch count must be a non-negative integer, got ${n}`);
  short("series", b.series);
  short("timesMs", b.timesMs);
  short("values", b.values);
  short("nsInMs", b.nsInMs);
  short("units", b.units);
  short("annotations", b.annotations);
  for (let i = 0; i < n; i++) {
    const s = b.series[i];
    if (!(s >= 0 && s < b.seriesIds.length && Number.isInteger(s))) {
      throw new InvalidWriteError(
        "series",
        `datapoint ${i} refers to series ${s}; the batch defines ${b.seriesIds.length}`,
      );
    }
  }
}
