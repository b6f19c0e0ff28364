// Property test: any sequence of appends, commits and rotations, under either
// strategy and any chunk size, replays to exactly the datapoints appended, in
// order, with values bit for bit and each series described once per file.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CommitLog, type CommitLogStrategy, type SeriesMetadata } from "./index.js";
import { fromBits, hexOf, type Row, replayRows, rowOf, withTempDir } from "./testing.js";

const SEED = 20_260_101;

type Op =
  | {
      kind: "point";
      series: number;
      timeMs: number;
      nsInMs: number;
      valueBits: string;
      unit: number;
      annotation: Uint8Array | null;
    }
  | { kind: "commit" }
  | { kind: "rotate" };

interface Batch {
  strategy: CommitLogStrategy;
  flushMaxBytes: number;
  series: SeriesMetadata[];
  ops: Op[];
}

const seriesArb: fc.Arbitrary<SeriesMetadata> = fc.record({
  seriesIndex: fc.oneof(
    fc.nat({ max: 300 }),
    fc.integer({ min: 2 ** 27 - 3, max: 2 ** 27 + 3 }), // either side of the dense bitmap's end
    fc.maxSafeNat(),
  ),
  namespace: fc.oneof(
    fc.constantFrom("default", "metrics_1m"),
    fc.string({ unit: "grapheme", maxLength: 12 }),
  ),
  id: fc.uint8Array({ maxLength: 40 }),
  encodedTags: fc.uint8Array({ maxLength: 60 }),
  shard: fc.oneof(fc.nat({ max: 4095 }), fc.constant(0xffff_ffff)),
});

const valueBitsArb = fc.oneof(
  fc.constantFrom(
    "7ff0000000000002",
    "7ff8000000000000",
    "fff0000000000001",
    "7ff0000000000000",
    "fff0000000000000",
    "8000000000000000",
    "0000000000000000",
  ),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map(hexOf),
);

const opArb = (seriesCount: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 20,
      arbitrary: fc.record({
        kind: fc.constant("point" as const),
        series: fc.nat({ max: seriesCount - 1 }),
        timeMs: fc.oneof(
          fc.maxSafeInteger(),
          fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
        ),
        nsInMs: fc.integer({ min: 0, max: 999_999 }),
        valueBits: valueBitsArb,
        unit: fc.integer({ min: 0, max: 255 }),
        annotation: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ kind: "commit" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "rotate" as const }) },
  );

const batchArb: fc.Arbitrary<Batch> = fc
  .uniqueArray(seriesArb, { minLength: 1, maxLength: 8, selector: (s) => s.seriesIndex })
  .chain((series) =>
    fc.record({
      strategy: fc.constantFrom<CommitLogStrategy>("wait", "behind"),
      flushMaxBytes: fc.oneof(fc.integer({ min: 1, max: 256 }), fc.constant(524_288)),
      series: fc.constant(series),
      ops: fc.array(opArb(series.length), { maxLength: 120 }),
    }),
  );

async function roundTrip(batch: Batch): Promise<void> {
  await withTempDir(async (dir) => {
    const log = await CommitLog.open({
      dir,
      strategy: batch.strategy,
      flushMaxBytes: batch.flushMaxBytes,
      flushIntervalMs: 0,
    });
    const expected: Row[] = [];
    const described = new Set<string>();
    let file = 0;
    for (const op of batch.ops) {
      if (op.kind === "commit") {
        await log.commit();
      } else if (op.kind === "rotate") {
        await log.rotate();
        file++;
      } else {
        const s = batch.series[op.series];
        log.append(s, op.timeMs, op.nsInMs, fromBits(op.valueBits), op.unit, op.annotation);
        // An empty annotation is written as "none".
        const annotation =
          op.annotation !== null && op.annotation.length > 0 ? op.annotation : null;
        expected.push({
          ...rowOf(s, op.timeMs, op.nsInMs, 0, op.unit, annotation),
          valueBits: op.valueBits,
        });
        described.add(`${file}/${s.seriesIndex}`);
      }
    }
    await log.close();
    const { rows, stats } = await replayRows(dir);
    assert.deepEqual(rows, expected);
    assert.equal(stats.series, described.size, "series metadata not written exactly once per file");
    assert.equal(stats.files, file + 1);
    assert.equal(stats.chunks, log.chunksWritten);
    assert.deepEqual(stats.skipped, []);
  });
}

test("random batches of appends, commits and rotations replay exactly", async () => {
  await fc.assert(fc.asyncProperty(batchArb, roundTrip), {
    seed: SEED,
    numRuns: 120,
    includeErrorInReport: true,
  });
});
