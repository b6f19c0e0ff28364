import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { MultiStreamIterator } from "../../codec/index.js";
import { TimeUnit } from "../../x/index.js";
import {
  MAX_ENCODERS_PER_BUCKET,
  type SequenceSource,
  SeriesBuffer,
  WriteType,
} from "./series-buffer.js";

const HOUR = 3_600_000;
const BLOCK = 2 * HOUR;
const T0 = 1_699_999_200_000; // a block start

function seqSource(): SequenceSource {
  let n = 0;
  return { nextSeq: () => ++n };
}

function read(buf: SeriesBuffer, start = 0, end = Number.MAX_SAFE_INTEGER): [number, number][] {
  const streams: Uint8Array[] = [];
  buf.streams(start, end, BLOCK, streams);
  const it = new MultiStreamIterator();
  it.reset(streams);
  const out: [number, number][] = [];
  while (it.next()) out.push([it.timeMs, it.value]);
  assert.equal(it.error, null);
  return out;
}

function write(
  buf: SeriesBuffer,
  seqs: SequenceSource,
  t: number,
  v: number,
  type: WriteType = WriteType.Warm,
) {
  buf.write(Math.floor(t / BLOCK) * BLOCK, type, t, 0, v, TimeUnit.Millisecond, null, seqs);
}

test("in-order writes share one encoder", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  for (let i = 0; i < 100; i++) write(buf, seqs, T0 + i * 10_000, i);
  assert.equal(buf.encoderCount(), 1);
  assert.deepEqual(
    read(buf),
    Array.from({ length: 100 }, (_, i) => [T0 + i * 10_000, i]),
  );
});

test("an out-of-order datapoint opens another encoder instead of failing, and reads stay ordered", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 30_000, 3);
  write(buf, seqs, T0 + 10_000, 1);
  write(buf, seqs, T0 + 20_000, 2);
  assert.equal(buf.encoderCount(), 2);
  assert.deepEqual(read(buf), [
    [T0 + 10_000, 1],
    [T0 + 20_000, 2],
    [T0 + 30_000, 3],
  ]);
});

test("equal timestamps: the last write wins, before and after the tick merges", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 10_000, 1);
  write(buf, seqs, T0 + 20_000, 2);
  write(buf, seqs, T0 + 10_000, 10);
  write(buf, seqs, T0 + 10_000, 100);
  write(buf, seqs, T0 + 20_000, 20);
  const expected = [
    [T0 + 10_000, 100],
    [T0 + 20_000, 20],
  ];
  assert.deepEqual(read(buf), expected);
  assert.ok(buf.encoderCount() > 1);
  assert.equal(buf.mergeEncoders(), 1);
  assert.equal(buf.encoderCount(), 1);
  assert.deepEqual(read(buf), expected);
});

test("rewriting the newest value of an instant is a no-op, but an older value makes it newest again", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 10_000, 1);
  write(buf, seqs, T0 + 10_000, 1); // a retried write
  assert.equal(buf.encoderCount(), 1);
  write(buf, seqs, T0 + 10_000, 2);
  write(buf, seqs, T0 + 10_000, 1); // 1 was overwritten by 2, so writing 1 again must win
  assert.deepEqual(read(buf), [[T0 + 10_000, 1]]);
});

test("NaN stale markers keep their payload through the buffer and the merge", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  u[0] = 2;
  u[1] = 0x7ff00000;
  const stale = f[0];
  write(buf, seqs, T0 + 20_000, 5);
  write(buf, seqs, T0 + 10_000, stale);
  buf.mergeEncoders();
  const streams: Uint8Array[] = [];
  buf.streams(0, Number.MAX_SAFE_INTEGER, BLOCK, streams);
  const it = new MultiStreamIterator();
  it.reset(streams);
  assert.ok(it.next());
  f[0] = it.value;
  assert.deepEqual([u[0], u[1]], [2, 0x7ff00000]);
});

test("blocks are kept apart and reads select the blocks overlapping the range", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 1000, 1);
  write(buf, seqs, T0 + BLOCK + 1000, 2);
  write(buf, seqs, T0 + 2 * BLOCK + 1000, 3);
  assert.equal(buf.buckets.length, 3);
  assert.deepEqual(read(buf, T0 + BLOCK, T0 + 2 * BLOCK), [[T0 + BLOCK + 1000, 2]]);
  assert.deepEqual(
    read(buf).map((p) => p[1]),
    [1, 2, 3],
  );
});

test("warm and cold writes to one block go to separate buckets and read back merged", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 20_000, 2, WriteType.Warm);
  write(buf, seqs, T0 + 10_000, 1, WriteType.Cold);
  write(buf, seqs, T0 + 20_000, 22, WriteType.Cold); // written later: wins
  assert.equal(buf.buckets.length, 2);
  assert.deepEqual(read(buf), [
    [T0 + 10_000, 1],
    [T0 + 20_000, 22],
  ]);
});

test("a tick's merge keeps a later cold write winning over an older warm one at the same instant", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 20_000, 42, WriteType.Warm);
  write(buf, seqs, T0 + 20_000, 7, WriteType.Cold); // written later: wins
  write(buf, seqs, T0 + 10_000, 1, WriteType.Warm); // a second warm encoder, newest of all
  assert.deepEqual(read(buf), [
    [T0 + 10_000, 1],
    [T0 + 20_000, 7],
  ]);
  assert.equal(buf.mergeEncoders(), 1);
  assert.equal(buf.encoderCount(), 1);
  assert.deepEqual(read(buf), [
    [T0 + 10_000, 1],
    [T0 + 20_000, 7],
  ]);
});

test("dropping expired blocks removes whole buckets ending at or before the cutoff", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  write(buf, seqs, T0 + 1000, 1);
  write(buf, seqs, T0 + BLOCK + 1000, 2);
  assert.equal(buf.dropBlocksBefore(T0 + BLOCK - 1, BLOCK), 0);
  assert.equal(buf.dropBlocksBefore(T0 + BLOCK, BLOCK), 1);
  assert.deepEqual(read(buf), [[T0 + BLOCK + 1000, 2]]);
  assert.equal(buf.dropBlocksBefore(T0 + 2 * BLOCK, BLOCK), 1);
  assert.ok(buf.isEmpty());
});

test("a bucket never holds more than its encoder limit: it merges first", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  // Strictly decreasing timestamps each need a new encoder.
  for (let i = 0; i < MAX_ENCODERS_PER_BUCKET * 3; i++)
    write(buf, seqs, T0 + 1_000_000 - i * 1000, i);
  assert.ok(buf.encoderCount() <= MAX_ENCODERS_PER_BUCKET);
  assert.equal(read(buf).length, MAX_ENCODERS_PER_BUCKET * 3);
});

test("any sequence of writes reads back as the last value written per instant, in time order", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 50 }),
          fc.integer({ min: -5, max: 5 }),
          fc.boolean(),
          // A tick's merge after this write, now and then.
          fc.integer({ min: 0, max: 7 }),
        ),
        {
          maxLength: 300,
        },
      ),
      (writes) => {
        const buf = new SeriesBuffer();
        const seqs = seqSource();
        const model = new Map<number, number>();
        for (const [slot, v, cold, tick] of writes) {
          const t = T0 + slot * 5 * 60_000; // spans two blocks
          write(buf, seqs, t, v, cold ? WriteType.Cold : WriteType.Warm);
          model.set(t, v);
          if (tick === 0) buf.mergeEncoders();
        }
        const expected = [...model.entries()].sort((a, b) => a[0] - b[0]);
        assert.deepEqual(read(buf), expected);
      },
    ),
    { seed: 11, numRuns: 300 },
  );
});
