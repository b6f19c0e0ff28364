// Test support for the storage engine: temporary data directories, a
// database on a manual clock, batches written by series name, reads back.
import assert from "node:assert/strict";
import { encodeTags, ManualClock, seriesIdString, type Tag } from "../../x/index.js";
import { tempDirFor } from "../../x/testing.js";
import type { WriteBatch } from "../ts/index.js";
import { Database, type DatabaseOptions } from "./database.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const NOW = 1_700_000_000_000; // 2023-11-14T22:13:20Z

/** A fresh directory, removed when the test file ends. */
export function tempDir(): Promise<string> {
  return tempDirFor("m3ts-db-test-");
}

/** A bootstrapped database on a manual clock (in memory unless `dataDir` is given). */
export async function openDb(extra: Partial<DatabaseOptions> = {}, clock = new ManualClock(NOW)) {
  const db = await Database.open({ dataDir: null, clock, ...extra });
  await db.bootstrapped;
  return { db, clock };
}

export function tagsOf(name: string, extra: Tag[] = []): Tag[] {
  return [["__name__", name], ...extra];
}

/** A batch writing `points` (series name, time, value) with one entry per distinct series. */
export function batchOf(points: [string, number, number][]): WriteBatch {
  const names = [...new Set(points.map((p) => p[0]))];
  return {
    count: points.length,
    series: points.map((p) => names.indexOf(p[0])),
    timesMs: points.map((p) => p[1]),
    // A Float64Array: plain JS arrays of doubles may canonicalise NaN payloads.
    values: Float64Array.from(points, (p) => p[2]),
    seriesIds: names.map((n) => seriesIdString(tagsOf(n))),
    seriesTags: names.map((n) => encodeTags(tagsOf(n))),
  };
}

/** Every datapoint of series `name` in [start, end), as [time, value]. */
export async function read(
  db: Database,
  ns: string,
  name: string,
  start = 0,
  end = Number.MAX_SAFE_INTEGER,
): Promise<[number, number][]> {
  const it = await db.fetch(ns, seriesIdString(tagsOf(name)), start, end);
  const out: [number, number][] = [];
  while (it.next()) out.push([it.timeMs, it.value]);
  assert.equal(it.error, null);
  return out;
}
