import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BLOCK_START_MS,
  DATASET_NAMES,
  type Dataset,
  type DatasetName,
  HISTOGRAM_BOUNDS,
  type JitterModel,
  MAX_JITTER_MS,
  MIX_WEIGHTS,
  makeDataset,
  POINTS_PER_SERIES,
  SCRAPE_INTERVAL_MS,
} from "./datasets.js";

const JITTERED: ReadonlySet<DatasetName> = new Set(["counter", "gauge2dp"]);

// Default-size datasets are built once and shared by the tests that need them.
const defaults = new Map<DatasetName, Dataset>();
function full(name: DatasetName): Dataset {
  let ds = defaults.get(name);
  if (ds === undefined) {
    ds = makeDataset(name);
    defaults.set(name, ds);
  }
  return ds;
}

function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** FNV-1a over the bytes of both columns: a fingerprint of a dataset's contents. */
function fingerprint(ds: Dataset): string {
  let h = 0x811c9dc5;
  for (const col of [ds.timesMs, ds.values]) {
    for (const byte of bytesOf(col)) h = Math.imul(h ^ byte, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Calls `check(s, at)` for each series until it returns a message, which fails the test. */
function eachSeries(ds: Dataset, check: (s: number, at: number) => string | undefined): void {
  for (let s = 0; s < ds.seriesCount; s++) {
    const problem = check(s, s * ds.pointsPerSeries);
    if (problem !== undefined) assert.fail(`${ds.name} series ${s}: ${problem}`);
  }
}

test("the block start is aligned to 2 hours", () => {
  assert.equal(BLOCK_START_MS % 7_200_000, 0);
});

test("the mix weights sum to 1", () => {
  const sum = Object.values(MIX_WEIGHTS).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12, `sum ${sum}`);
});

test("the same name and size always give the same bytes", () => {
  for (const name of DATASET_NAMES) {
    const a = makeDataset(name, 20_000);
    const b = makeDataset(name, 20_000);
    assert.deepEqual(bytesOf(a.timesMs), bytesOf(b.timesMs), `${name} timestamps`);
    assert.deepEqual(bytesOf(a.values), bytesOf(b.values), `${name} values`);
  }
});

test("datasets are pinned: changing a generator changes these fingerprints", () => {
  // Benchmark figures are only comparable across commits while these hold.
  const got = Object.fromEntries(DATASET_NAMES.map((n) => [n, fingerprint(makeDataset(n, 7_200))]));
  assert.deepEqual(got, {
    counter: "a5d45656",
    gauge2dp: "323044fd",
    constant: "a371dc45",
    histogram: "e8e4aba2",
    random: "ab8e95a5",
  });
});

test("a smaller dataset is a prefix of a larger one", () => {
  for (const name of DATASET_NAMES) {
    const small = makeDataset(name, 1_440);
    const large = makeDataset(name, 20_000);
    const n = small.timesMs.length;
    assert.deepEqual(bytesOf(small.timesMs), bytesOf(large.timesMs.subarray(0, n)), name);
    assert.deepEqual(bytesOf(small.values), bytesOf(large.values.subarray(0, n)), name);
  }
});

test("sizes round up to whole series, and histograms to whole histograms", () => {
  assert.equal(makeDataset("counter", 1).seriesCount, 1);
  assert.equal(makeDataset("counter", 720).seriesCount, 1);
  assert.equal(makeDataset("counter", 721).seriesCount, 2);
  assert.equal(makeDataset("histogram", 1).seriesCount, 12);
  assert.equal(makeDataset("histogram", 12 * 720 + 1).seriesCount, 24);
  assert.throws(() => makeDataset("counter", 0), RangeError);
  assert.throws(() => makeDataset("counter", 1.5), RangeError);
  assert.throws(() => makeDataset("nope" as DatasetName), RangeError);
});

test("default datasets hold at least 1e6 points in series of 720 at a 2-hour block", () => {
  for (const name of DATASET_NAMES) {
    const ds = full(name);
    assert.equal(ds.name, name);
    assert.equal(ds.pointsPerSeries, POINTS_PER_SERIES);
    assert.equal(ds.blockStartMs, BLOCK_START_MS);
    assert.ok(ds.seriesCount * POINTS_PER_SERIES >= 1_000_000, `${name}: ${ds.seriesCount} series`);
    assert.ok((ds.seriesCount - 1) * POINTS_PER_SERIES < 1_000_000 || name === "histogram");
    assert.equal(ds.timesMs.length, ds.seriesCount * POINTS_PER_SERIES);
    assert.equal(ds.values.length, ds.timesMs.length);
  }
});

/** Offsets from the 10 s grid of every timestamp, checking each is whole, in range and increasing. */
function gridOffsets(ds: Dataset, maxJitterMs: number): number[] {
  const offsets: number[] = [];
  eachSeries(ds, (_, at) => {
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      const t = ds.timesMs[at + i];
      const jitterMs = t - (BLOCK_START_MS + i * SCRAPE_INTERVAL_MS);
      if (!Number.isInteger(t)) return `timestamp ${i} is ${t}, not whole ms`;
      if (jitterMs < 0 || jitterMs > maxJitterMs)
        return `point ${i} is off the grid by ${jitterMs} ms`;
      if (i > 0 && t <= ds.timesMs[at + i - 1]) return `timestamp ${i} does not increase`;
      offsets.push(jitterMs);
    }
  });
  return offsets;
}

test("timestamps sit on the 10 s grid, jittered by 0..50 ms only where marked", () => {
  for (const name of DATASET_NAMES) {
    const offsets = gridOffsets(full(name), JITTERED.has(name) ? MAX_JITTER_MS : 0);
    if (!JITTERED.has(name)) continue;
    // Scrape-like jitter: most scrapes on time, late ones mostly by 1 ms, a
    // tail reaching toward 50 ms (the model in JitterModel).
    const late = offsets.filter((o) => o > 0);
    const lateShare = late.length / offsets.length;
    assert.ok(lateShare > 0.04 && lateShare < 0.06, `${name}: ${lateShare} of scrapes late`);
    const oneMs = late.filter((o) => o === 1).length / late.length;
    assert.ok(oneMs > 0.65 && oneMs < 0.75, `${name}: ${oneMs} of late scrapes are 1 ms late`);
    assert.ok(
      late.some((o) => o > 20),
      `${name}: no scrape is more than 20 ms late`,
    );
  }
});

test("uniform jitter puts every scrape of a jittered dataset 0..50 ms off the grid", () => {
  for (const name of DATASET_NAMES) {
    const ds = makeDataset(name, 72_000, "uniform");
    const offsets = gridOffsets(ds, JITTERED.has(name) ? MAX_JITTER_MS : 0);
    if (!JITTERED.has(name)) continue;
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    assert.ok(Math.abs(mean - 25) < 0.5, `${name}: mean jitter ${mean} ms`);
    assert.ok(offsets.includes(0) && offsets.includes(MAX_JITTER_MS), `${name}: range not covered`);
  }
});

test("an unknown jitter model is refused", () => {
  assert.throws(
    () => makeDataset("counter", 720, "gaussian" as JitterModel),
    /unknown jitter model "gaussian"/,
  );
});

test("counters are non-negative integers that never decrease", () => {
  const ds = full("counter");
  eachSeries(ds, (_, at) => {
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      const v = ds.values[at + i];
      if (!Number.isSafeInteger(v) || v < 0) return `value ${i} is ${v}`;
      if (i > 0 && v < ds.values[at + i - 1]) return `value ${i} decreases to ${v}`;
    }
  });
});

test("histogram buckets never decrease and are cumulative in le", () => {
  const ds = full("histogram");
  const buckets = HISTOGRAM_BOUNDS.length;
  assert.equal(ds.seriesCount % buckets, 0);
  eachSeries(ds, (s, at) => {
    const wider = (s % buckets) + 1 < buckets ? at + POINTS_PER_SERIES : -1;
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      const v = ds.values[at + i];
      if (!Number.isSafeInteger(v) || v < 0) return `value ${i} is ${v}`;
      if (i > 0 && v < ds.values[at + i - 1]) return `value ${i} decreases to ${v}`;
      if (wider >= 0 && v > ds.values[wider + i]) return `point ${i} exceeds the next bucket`;
    }
  });
});

test("histograms look like latency histograms: low buckets mostly empty, +Inf busy", () => {
  const ds = full("histogram");
  const buckets = HISTOGRAM_BOUNDS.length;
  const histograms = ds.seriesCount / buckets;
  let lowestEmpty = 0;
  let infMoved = 0;
  for (let h = 0; h < histograms; h++) {
    const lowest = h * buckets * POINTS_PER_SERIES;
    const inf = (h * buckets + buckets - 1) * POINTS_PER_SERIES;
    if (ds.values[lowest + POINTS_PER_SERIES - 1] === 0) lowestEmpty++;
    if (ds.values[inf + POINTS_PER_SERIES - 1] > ds.values[inf]) infMoved++;
  }
  assert.ok(lowestEmpty > histograms / 2, `${lowestEmpty} of ${histograms} le=0.005 empty`);
  assert.ok(infMoved > histograms * 0.9, `${infMoved} of ${histograms} +Inf buckets grew`);
});

test("gauge2dp values have at most two decimals and no -0", () => {
  const ds = full("gauge2dp");
  eachSeries(ds, (_, at) => {
    for (let i = 0; i < POINTS_PER_SERIES; i++) {
      const v = ds.values[at + i];
      if (Math.round(v * 100) / 100 !== v) return `value ${i} is ${v}`;
      if (Object.is(v, -0)) return `value ${i} is -0`;
    }
  });
});

test("constant series hold one value each, and the values vary across series", () => {
  const ds = full("constant");
  const seen = new Set<number>();
  eachSeries(ds, (_, at) => {
    const v = ds.values[at];
    seen.add(v);
    for (let i = 1; i < POINTS_PER_SERIES; i++) {
      if (!Object.is(ds.values[at + i], v)) return `value ${i} is ${ds.values[at + i]}, not ${v}`;
    }
  });
  assert.ok(seen.has(1) && seen.has(0) && seen.size > 20, `${seen.size} distinct values`);
});

test("random values are finite and almost never repeat", () => {
  const ds = full("random");
  const distinct = new Set<number>();
  for (const v of ds.values) {
    if (!Number.isFinite(v)) assert.fail(`non-finite value ${v}`);
    distinct.add(v);
  }
  assert.ok(distinct.size > ds.values.length * 0.999, `${distinct.size} distinct`);
});
