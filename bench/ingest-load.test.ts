// The shape of bench:ingest's requests, read back through the coordinator's
// own decoder: request sizes, per-shard ordering, stable shards, labels.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { uncompressSync } from "snappy";
import { decodeWriteRequest, WriteRequestColumns } from "../src/coordinator/index.js";
import { MIX_WEIGHTS } from "./datasets.js";
import {
  buildLoad,
  type Load,
  loadKind,
  loadLabels,
  MAX_REQUEST_SAMPLES,
  MIN_REQUEST_SAMPLES,
} from "./ingest-load.js";

interface Sent {
  shard: number;
  round: number;
  /** Labels joined as `name=value,...` in the order sent. */
  key: string;
  names: string[];
  timeMs: number;
  value: number;
}

/** Decodes every request of `load` back into the samples it carries, in send order per shard. */
function decodeAll(load: Load): { perRequest: Sent[][]; sent: Sent[] } {
  const cols = new WriteRequestColumns();
  const utf8 = new TextDecoder();
  const perRequest: Sent[][] = [];
  load.requests.forEach((shard, shardIndex) => {
    for (const r of shard) {
      const body = uncompressSync(r.body) as Buffer;
      decodeWriteRequest(body, cols);
      const out: Sent[] = [];
      for (let s = 0; s < cols.series; s++) {
        assert.equal(cols.sampleCount[s], 1, "one sample per series per request");
        const names: string[] = [];
        const pairs: string[] = [];
        for (let l = cols.labelStart[s]; l < cols.labelStart[s] + cols.labelCount[s]; l++) {
          const name = utf8.decode(body.subarray(cols.nameAt[l], cols.nameAt[l] + cols.nameLen[l]));
          const value = utf8.decode(
            body.subarray(cols.valueAt[l], cols.valueAt[l] + cols.valueLen[l]),
          );
          names.push(name);
          pairs.push(`${name}=${value}`);
        }
        const i = cols.sampleStart[s];
        out.push({
          shard: shardIndex,
          round: r.round,
          key: pairs.join(","),
          names,
          timeMs: cols.timesMs[i],
          value: cols.values[i],
        });
      }
      assert.equal(out.length, r.samples, "declared sample count matches the body");
      perRequest.push(out);
    }
  });
  return { perRequest, sent: perRequest.flat() };
}

const FIRST_MS = 1_700_000_000_000;
const STEP_MS = 1_500;

test("every series gets one sample per round, at the round's time, always from the same shard", () => {
  const series = 7_000;
  const rounds = 3;
  const load = buildLoad({ series, rounds, shards: 4, firstMs: FIRST_MS, stepMs: STEP_MS });
  assert.equal(load.totalSamples, series * rounds);
  const { sent } = decodeAll(load);
  assert.equal(sent.length, series * rounds);
  const shardOf = new Map<string, number>();
  const perRound = Array.from({ length: rounds }, () => new Set<string>());
  for (const x of sent) {
    assert.equal(x.timeMs, FIRST_MS + x.round * STEP_MS);
    assert.ok(!perRound[x.round].has(x.key), `${x.key} twice in round ${x.round}`);
    perRound[x.round].add(x.key);
    const shard = shardOf.get(x.key);
    if (shard === undefined) shardOf.set(x.key, x.shard);
    else assert.equal(x.shard, shard, `${x.key} moved between shards`);
  }
  for (const set of perRound) assert.equal(set.size, series);
  // The hash spreads series over every shard.
  assert.equal(new Set(shardOf.values()).size, 4);
});

test("requests hold 500 to 2 000 samples; only a shard's last of a round may be smaller", () => {
  const load = buildLoad({
    series: 9_000,
    rounds: 4,
    shards: 3,
    firstMs: FIRST_MS,
    stepMs: STEP_MS,
  });
  for (const shard of load.requests) {
    shard.forEach((r, k) => {
      assert.ok(r.samples <= MAX_REQUEST_SAMPLES, `${r.samples} samples`);
      const lastOfRound = k === shard.length - 1 || shard[k + 1].round !== r.round;
      if (!lastOfRound) assert.ok(r.samples >= MIN_REQUEST_SAMPLES, `${r.samples} samples`);
    });
  }
});

test("each shard sends its rounds in order", () => {
  const load = buildLoad({
    series: 5_000,
    rounds: 5,
    shards: 4,
    firstMs: FIRST_MS,
    stepMs: STEP_MS,
  });
  for (const shard of load.requests) {
    for (let k = 1; k < shard.length; k++) assert.ok(shard[k].round >= shard[k - 1].round);
    assert.equal(shard[0].round, 0);
    assert.equal(shard[shard.length - 1].round, 4);
  }
});

test("labels are sorted by name, start with __name__, and counters never go down", () => {
  const load = buildLoad({
    series: 3_000,
    rounds: 6,
    shards: 2,
    firstMs: FIRST_MS,
    stepMs: STEP_MS,
  });
  const { sent } = decodeAll(load);
  const last = new Map<string, number>();
  for (const x of sent) {
    assert.equal(x.names[0], "__name__");
    assert.deepEqual(x.names, [...x.names].sort());
    assert.ok(x.names.length >= 8 && x.names.length <= 12, `${x.names.length} labels`);
    if (x.key.startsWith("__name__=node_") && x.key.includes("_total,")) {
      const before = last.get(x.key);
      if (before !== undefined) assert.ok(x.value >= before, `${x.key}: ${before} then ${x.value}`);
      last.set(x.key, x.value);
    }
  }
  assert.ok(last.size > 0);
});

test("the kinds of series follow MIX_WEIGHTS", () => {
  const counts: Record<string, number> = {};
  const n = 10_000;
  for (let s = 0; s < n; s++) counts[loadKind(s)] = (counts[loadKind(s)] ?? 0) + 1;
  for (const [kind, weight] of Object.entries(MIX_WEIGHTS)) {
    assert.ok(Math.abs((counts[kind] ?? 0) / n - weight) < 0.01, `${kind}: ${counts[kind]}`);
  }
});

test("distinct series have distinct label sets (property)", () => {
  fc.assert(
    fc.property(fc.nat(10_000_000), fc.nat(10_000_000), (a, b) => {
      fc.pre(a !== b);
      assert.notDeepEqual(loadLabels(a), loadLabels(b));
    }),
  );
});

test("any small load decodes to series x rounds samples in bounded requests (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3_000 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.nat(1000),
      (series, rounds, shards, seed) => {
        const load = buildLoad({
          series,
          rounds,
          shards,
          firstMs: FIRST_MS,
          stepMs: STEP_MS,
          seed,
        });
        const { sent } = decodeAll(load);
        assert.equal(sent.length, series * rounds);
        assert.equal(new Set(sent.map((x) => `${x.round}/${x.key}`)).size, series * rounds);
        let bytes = 0;
        for (const shard of load.requests) for (const r of shard) bytes += r.body.length;
        assert.equal(load.bodyBytes, bytes);
      },
    ),
    { numRuns: 25 },
  );
});
