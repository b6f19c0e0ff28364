import assert from "node:assert/strict";
import { test } from "node:test";
import { uncompressSync } from "snappy";
import { decodeWriteRequest, WriteRequestColumns } from "../src/coordinator/index.js";
import { HISTOGRAM_BOUNDS } from "./datasets.js";
import { QUERY_CASES } from "./query-cases.js";
import {
  QUERY_SCRAPE_INTERVAL_MS,
  type QueryData,
  queryData,
  queryEndMs,
  SERIES_PER_TARGET,
} from "./query-data.js";
import { encodeBackfill } from "./query-load.js";

const END_MS = 1_764_770_430_000; // 2025-12-03T14:00:30Z, as queryEndMs picks ends.
const OPTIONS = { targets: 10, points: 720, endMs: END_MS };
const data = queryData(OPTIONS);

function nameOf(labels: [string, string][]): string {
  return labels.find(([n]) => n === "__name__")?.[1] ?? "";
}

function labelOf(labels: [string, string][], name: string): string | undefined {
  return labels.find(([n]) => n === name)?.[1];
}

/** FNV-1a over every label, time and value. */
function fingerprint(d: QueryData): number {
  let h = 0x811c9dc5;
  const mix = (bytes: Uint8Array) => {
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  };
  const utf8 = new TextEncoder();
  for (const s of d.series) {
    mix(utf8.encode(JSON.stringify(s.labels)));
    mix(new Uint8Array(s.timesMs.buffer, s.timesMs.byteOffset, s.timesMs.byteLength));
    mix(new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength));
  }
  return h >>> 0;
}

test("the same options give the same data, and another end time moves only the times", () => {
  assert.equal(fingerprint(queryData(OPTIONS)), fingerprint(data));
  const later = queryData({ ...OPTIONS, endMs: END_MS + 3_600_000 });
  assert.equal(later.series.length, data.series.length);
  for (let s = 0; s < data.series.length; s++) {
    assert.deepEqual(later.series[s].labels, data.series[s].labels);
    assert.deepEqual(later.series[s].values, data.series[s].values);
    assert.equal(later.series[s].timesMs[0], data.series[s].timesMs[0] + 3_600_000);
  }
});

test("every target has SERIES_PER_TARGET distinct series with labels sorted by name", () => {
  assert.equal(SERIES_PER_TARGET, 100);
  assert.equal(data.series.length, 10 * SERIES_PER_TARGET);
  const keys = new Set(data.series.map((s) => JSON.stringify(s.labels)));
  assert.equal(keys.size, data.series.length);
  for (const s of data.series) {
    const names = s.labels.map(([n]) => n);
    assert.deepEqual(names, [...names].sort());
    assert.equal(s.timesMs.length, 720);
    assert.equal(s.values.length, 720);
  }
  const perTarget = new Map<string, number>();
  for (const s of data.series) {
    const instance = labelOf(s.labels, "instance") as string;
    perTarget.set(instance, (perTarget.get(instance) ?? 0) + 1);
  }
  assert.deepEqual([...perTarget.values()], Array(10).fill(SERIES_PER_TARGET));
});

test("no sample sits on a whole second, all are before the end, the last within one interval", () => {
  for (const s of data.series) {
    let prev = Number.NEGATIVE_INFINITY;
    for (const t of s.timesMs) {
      assert.ok(Number.isInteger(t));
      assert.notEqual(t % 1000, 0, `sample at ${t} sits on a whole second`);
      assert.ok(t > prev);
      prev = t;
    }
    assert.ok(prev < END_MS);
    assert.ok(prev >= END_MS - QUERY_SCRAPE_INTERVAL_MS);
    assert.ok(s.timesMs[0] >= data.startMs);
    assert.equal(data.startMs, END_MS - 720 * QUERY_SCRAPE_INTERVAL_MS);
  }
});

test("a target's series share its scrape times; targets' times differ", () => {
  const byTarget = new Map<string, Float64Array>();
  for (const s of data.series) {
    const instance = labelOf(s.labels, "instance") as string;
    const first = byTarget.get(instance);
    if (first === undefined) byTarget.set(instance, s.timesMs);
    else assert.deepEqual(s.timesMs, first);
  }
  const firsts = new Set([...byTarget.values()].map((t) => t[0]));
  assert.ok(firsts.size > 1);
});

test("counters never decrease, histogram buckets are cumulative, info series and up are 1", () => {
  for (const s of data.series) {
    const name = nameOf(s.labels);
    if (name.endsWith("_total") || name.endsWith("_bucket")) {
      for (let i = 1; i < s.values.length; i++) assert.ok(s.values[i] >= s.values[i - 1]);
    }
    if (name === "node_uname_info" || name === "up") assert.ok(s.values.every((v) => v === 1));
  }
  const buckets = data.series.filter(
    (s) =>
      nameOf(s.labels) === "http_request_duration_seconds_bucket" &&
      labelOf(s.labels, "instance") === "host-3:9100",
  );
  assert.equal(buckets.length, HISTOGRAM_BOUNDS.length);
  const le = buckets.map((s) => {
    const text = labelOf(s.labels, "le");
    return text === "+Inf" ? Number.POSITIVE_INFINITY : Number(text);
  });
  assert.deepEqual(le, [...HISTOGRAM_BOUNDS]);
  for (let i = 0; i < 720; i++) {
    for (let b = 1; b < buckets.length; b++) {
      assert.ok(buckets[b].values[i] >= buckets[b - 1].values[i]);
    }
  }
});

test("the regex query's selector matches a tenth of the series", () => {
  const regex = QUERY_CASES.find((q) => q.name === "regex")?.query ?? "";
  const m = /^\{instance=~"(.*)"\}$/.exec(regex);
  assert.ok(m !== null, regex);
  // PromQL regexes are anchored at both ends.
  const re = new RegExp(`^(?:${m[1]})$`);
  const matched = data.series.filter((s) => re.test(labelOf(s.labels, "instance") as string));
  assert.equal(matched.length, data.series.length / 10);
});

test("the backfill carries every sample once, in order, in windows of whole series", () => {
  const small = queryData({ targets: 2, points: 720, endMs: END_MS });
  const backfill = encodeBackfill(small, { windowPoints: 100, maxRequestSamples: 1_000 });
  assert.equal(backfill.windows.length, Math.ceil(720 / 100));
  assert.equal(backfill.samples, 200 * 720);
  const seen = new Map<string, number[]>();
  const cols = new WriteRequestColumns();
  const utf8 = new TextDecoder();
  for (const window of backfill.windows) {
    for (const body of window) {
      const raw = uncompressSync(body) as Buffer;
      decodeWriteRequest(raw, cols);
      assert.ok(cols.samples <= 1_000);
      for (let s = 0; s < cols.series; s++) {
        const labels: string[] = [];
        for (let l = cols.labelStart[s]; l < cols.labelStart[s] + cols.labelCount[s]; l++) {
          const name = utf8.decode(raw.subarray(cols.nameAt[l], cols.nameAt[l] + cols.nameLen[l]));
          const value = utf8.decode(
            raw.subarray(cols.valueAt[l], cols.valueAt[l] + cols.valueLen[l]),
          );
          labels.push(`${name}=${value}`);
        }
        const key = labels.join(",");
        const times = seen.get(key) ?? [];
        for (let i = cols.sampleStart[s]; i < cols.sampleStart[s] + cols.sampleCount[s]; i++) {
          times.push(cols.timesMs[i]);
        }
        seen.set(key, times);
      }
    }
  }
  assert.equal(seen.size, small.series.length);
  for (const s of small.series) {
    const key = s.labels.map(([n, v]) => `${n}=${v}`).join(",");
    assert.deepEqual(seen.get(key), [...s.timesMs]);
  }
});

test("the end time is the latest whole minute plus 30 s at or before now", () => {
  assert.equal(queryEndMs(END_MS), END_MS);
  assert.equal(queryEndMs(END_MS + 59_999), END_MS);
  assert.equal(queryEndMs(END_MS + 60_000), END_MS + 60_000);
  assert.equal(queryEndMs(END_MS - 1), END_MS - 60_000);
  for (const now of [0, 29_999, 1_700_000_012_345]) {
    const end = queryEndMs(now);
    assert.ok(end <= now && now - end < 60_000);
    assert.equal(((end % 60_000) + 60_000) % 60_000, 30_000);
  }
});

test("counters start at least 4 hours of their mean rate above zero", () => {
  const spanS = (720 * QUERY_SCRAPE_INTERVAL_MS) / 1000;
  let counters = 0;
  for (const s of data.series) {
    if (!nameOf(s.labels).endsWith("_total")) continue;
    counters++;
    const perS = (s.values[719] - s.values[0]) / spanS;
    assert.ok(s.values[0] >= perS * 4 * 3600 - 1, `${s.values[0]} at ${perS}/s`);
  }
  assert.equal(counters, 400);
});
