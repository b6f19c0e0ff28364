import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  labelSetBytes,
  REAL_CHUNK_MS,
  REAL_KIND_SHARES,
  REAL_SCRAPE_INTERVAL_MS,
  REAL_SERIES,
  type RealKind,
  RealSamples,
} from "./real-samples.js";
import type { SampleChunk } from "./samples.js";

const START_MS = 1_699_999_200_000;
const HOUR_MS = 3_600_000;

function collect(stream: RealSamples): SampleChunk[] {
  return [...stream.chunks()];
}

/** Every point of series s across the chunks. */
function seriesPoints(chunks: SampleChunk[], s: number): { timesMs: number[]; values: number[] } {
  const timesMs: number[] = [];
  const values: number[] = [];
  for (const c of chunks) {
    for (let i = c.offsets[s]; i < c.offsets[s + 1]; i++) {
      timesMs.push(c.timesMs[i]);
      values.push(c.values[i]);
    }
  }
  return { timesMs, values };
}

describe("RealSamples", () => {
  const stream = new RealSamples({ startMs: START_MS, durationMs: 1.5 * HOUR_MS });
  const chunks = collect(stream);

  it("holds REAL_SERIES series with one point per scrape each", () => {
    assert.equal(stream.labels.length, REAL_SERIES);
    assert.equal(stream.scrapesPerSeries, 540);
    let total = 0;
    for (let s = 0; s < REAL_SERIES; s++) {
      const { timesMs } = seriesPoints(chunks, s);
      assert.equal(timesMs.length, 540);
      total += timesMs.length;
    }
    assert.equal(total, stream.datapoints);
  });

  it("gives each kind its share of the series, and values that behave as the kind says", () => {
    const counts = new Map<RealKind, number>();
    for (let s = 0; s < REAL_SERIES; s++) {
      const kind = stream.kinds[s];
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      const { values } = seriesPoints(chunks, s);
      const distinct = new Set(values).size;
      if (kind === "constant") assert.equal(distinct, 1, `series ${s} is constant`);
      else assert.ok(distinct > 1, `series ${s} (${kind}) moves`);
      for (const v of values) {
        if (kind === "integer" || kind === "constant") {
          if (kind === "integer") assert.ok(Number.isInteger(v), `series ${s}: ${v} is an integer`);
        } else if (kind === "gauge2dp") {
          assert.equal(Math.round(v * 100) / 100, v, `series ${s}: ${v} has two decimals`);
        }
      }
      if (kind === "float") {
        // Neither integers nor two decimals: some values need more digits.
        const long = values.filter((v) => Math.round(v * 100) / 100 !== v).length;
        assert.ok(long > 0, `series ${s}: ${long} of ${values.length} values past 2 decimals`);
      }
    }
    for (const kind of Object.keys(REAL_KIND_SHARES) as RealKind[]) {
      const share = (counts.get(kind) ?? 0) / REAL_SERIES;
      assert.ok(Math.abs(share - REAL_KIND_SHARES[kind]) < 0.001, `${kind}: ${share}`);
    }
  });

  it("spells label sets of about 180 bytes, all distinct, __name__ first and the rest sorted", () => {
    let sum = 0;
    const seen = new Set<string>();
    for (const labels of stream.labels) {
      sum += labelSetBytes(labels);
      assert.equal(labels[0][0], "__name__");
      for (let i = 2; i < labels.length; i++) assert.ok(labels[i - 1][0] < labels[i][0]);
      seen.add(JSON.stringify(labels));
    }
    const mean = sum / stream.labels.length;
    assert.ok(mean >= 165 && mean <= 195, `mean label set ${mean} bytes`);
    assert.equal(seen.size, REAL_SERIES);
  });

  it("gives every series of a target the target's timestamps, 10 s apart but for a few ms of jitter", () => {
    const byTarget = new Map<number, string>();
    let offIdeal = 0;
    let points = 0;
    const offsets = new Set<number>();
    for (let s = 0; s < REAL_SERIES; s++) {
      const { timesMs } = seriesPoints(chunks, s);
      const key = timesMs.join(",");
      const t = stream.targetOf[s];
      const prev = byTarget.get(t);
      if (prev === undefined) {
        byTarget.set(t, key);
        const first = timesMs[0];
        offsets.add(first - START_MS);
        for (let i = 0; i < timesMs.length; i++) {
          const off = timesMs[i] - (first + i * REAL_SCRAPE_INTERVAL_MS);
          assert.ok(Math.abs(off) <= 25 + 25, `target ${t} scrape ${i} is ${off} ms off`);
          if (i > 0 && timesMs[i] - timesMs[i - 1] !== REAL_SCRAPE_INTERVAL_MS) offIdeal++;
          points++;
        }
      } else {
        assert.equal(key, prev, `series ${s} shares target ${t}'s timestamps`);
      }
    }
    assert.ok(byTarget.size >= 9, `${byTarget.size} targets`);
    assert.ok(offsets.size >= byTarget.size - 1, "targets scrape at their own offsets");
    // Most intervals are exact; a few are not.
    assert.ok(offIdeal > 0 && offIdeal < points * 0.1, `${offIdeal} of ${points} intervals off`);
  });

  it("streams chunks of 2 hours in time order, each point inside its chunk", () => {
    const long = new RealSamples({ startMs: START_MS, durationMs: 7 * HOUR_MS });
    assert.equal(long.chunkCount, 4);
    let c = 0;
    for (const chunk of long.chunks()) {
      assert.equal(chunk.startMs, START_MS + c * REAL_CHUNK_MS);
      assert.equal(chunk.endMs, chunk.startMs + REAL_CHUNK_MS);
      for (let i = 0; i < chunk.timesMs.length; i++) {
        assert.ok(chunk.timesMs[i] >= chunk.startMs && chunk.timesMs[i] < chunk.endMs);
      }
      c++;
    }
    assert.equal(c, 4);
  });

  it("continues each series across chunks: counters never go down", () => {
    const long = collect(new RealSamples({ startMs: START_MS, durationMs: 6 * HOUR_MS }));
    for (let s = 0; s < REAL_SERIES; s += 7) {
      const { timesMs } = seriesPoints(long, s);
      for (let i = 1; i < timesMs.length; i++) assert.ok(timesMs[i] > timesMs[i - 1]);
    }
    const named = new RealSamples({ startMs: START_MS, durationMs: 6 * HOUR_MS });
    for (let s = 0; s < REAL_SERIES; s++) {
      const name = named.labels[s][0][1];
      if (!name.endsWith("_total") || named.kinds[s] !== "integer") continue;
      const { values } = seriesPoints(long, s);
      for (let i = 1; i < values.length; i++) assert.ok(values[i] >= values[i - 1], name);
    }
  });

  it("is deterministic: the same seed gives the same samples, another seed others", () => {
    const again = collect(new RealSamples({ startMs: START_MS, durationMs: 1.5 * HOUR_MS }));
    assert.deepEqual(again[0].timesMs, chunks[0].timesMs);
    assert.deepEqual(again[0].values, chunks[0].values);
    const reused = collect(stream);
    assert.deepEqual(reused[0].values, chunks[0].values);
    const other = collect(
      new RealSamples({ startMs: START_MS, durationMs: 1.5 * HOUR_MS, seed: 2 }),
    );
    assert.notDeepEqual(other[0].values, chunks[0].values);
    assert.notDeepEqual(other[0].timesMs, chunks[0].timesMs);
  });

  it("rejects a start off the 2-hour grid and a length that is not whole scrapes", () => {
    assert.throws(
      () => new RealSamples({ startMs: START_MS + 1, durationMs: HOUR_MS }),
      RangeError,
    );
    assert.throws(() => new RealSamples({ startMs: START_MS, durationMs: 12_345 }), RangeError);
  });
});
