import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { M3tszEncoder, M3tszIterator, MultiStreamIterator } from "../../codec/index.js";
import { TimeUnit } from "../../x/index.js";
import {
  blockStream,
  MAX_ENCODERS_PER_BUCKET,
  SAMPLES_PER_CUT,
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

/** The datapoints in [start, end) of what the buffer's streams for that range hold, and how many streams. */
function readRange(buf: SeriesBuffer, start: number, end: number) {
  const streams: Uint8Array[] = [];
  buf.streams(start, end, BLOCK, streams);
  const it = new MultiStreamIterator();
  it.reset(streams);
  const points: [number, number][] = [];
  let decoded = 0;
  while (it.next()) {
    decoded++;
    if (it.timeMs >= start && it.timeMs < end) points.push([it.timeMs, it.value]);
  }
  assert.equal(it.error, null);
  return { points, streams: streams.length, decoded };
}

function decodeAll(stream: Uint8Array): [number, number][] {
  const it = new M3tszIterator(stream);
  const out: [number, number][] = [];
  while (it.next()) out.push([it.timeMs, it.value]);
  assert.equal(it.error, null);
  return out;
}

test("the newest encoder is cut every SAMPLES_PER_CUT datapoints, and a read of the last minutes decodes only the last chunk", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  const step = 15_000;
  const n = 480; // 2 h at 15 s
  for (let i = 0; i < n; i++) write(buf, seqs, T0 + i * step, i);
  assert.equal(buf.encoderCount(), 1);
  assert.equal(buf.sealedCount(), n / SAMPLES_PER_CUT - 1);
  const whole = readRange(buf, T0, T0 + BLOCK);
  assert.equal(whole.streams, n / SAMPLES_PER_CUT);
  assert.deepEqual(
    whole.points,
    Array.from({ length: n }, (_, i) => [T0 + i * step, i]),
  );
  // The last 5 minutes: 20 datapoints, all in the live encoder.
  const now = T0 + (n - 1) * step;
  const recent = readRange(buf, now - 5 * 60_000 + 1, now + 1);
  assert.equal(recent.streams, 1);
  assert.ok(recent.decoded <= SAMPLES_PER_CUT, `decoded ${recent.decoded}`);
  assert.deepEqual(
    recent.points,
    Array.from({ length: 20 }, (_, k) => [T0 + (n - 20 + k) * step, n - 20 + k]),
  );
  // A range starting inside the third chunk needs the third and the fourth.
  const third = readRange(buf, T0 + (2 * SAMPLES_PER_CUT + 5) * step, T0 + BLOCK);
  assert.equal(third.streams, 2);
  assert.equal(third.points.length, n - 2 * SAMPLES_PER_CUT - 5);
});

test("the tick leaves a block written in order in its chunks, and merges one with overlapping chunks back into consecutive ones", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  for (let i = 0; i < 300; i++) write(buf, seqs, T0 + i * 10_000, i);
  assert.equal(buf.mergeEncoders(), 0);
  assert.equal(buf.sealedCount(), 2);
  // An overwrite inside the first chunk, then in-order writes past another cut.
  write(buf, seqs, T0 + 10_000, -1);
  for (let i = 300; i < 400; i++) write(buf, seqs, T0 + i * 10_000, i);
  assert.equal(buf.mergeEncoders(), 1);
  assert.equal(buf.mergeEncoders(), 0);
  assert.equal(buf.encoderCount(), 1);
  assert.equal(buf.sealedCount(), 3);
  const expected = Array.from({ length: 400 }, (_, i) => [T0 + i * 10_000, i === 1 ? -1 : i]);
  assert.deepEqual(readRange(buf, T0, T0 + BLOCK).points, expected);
  // After the merge the chunks follow each other again: a late range reads one stream.
  assert.equal(readRange(buf, T0 + 390 * 10_000, T0 + BLOCK).streams, 1);
});

test("a block in cut chunks flushes to the stream one encoder would have written", () => {
  const buf = new SeriesBuffer();
  const seqs = seqSource();
  const one = new M3tszEncoder(T0);
  let v = 100;
  for (let i = 0; i < 700; i++) {
    // A gauge with two decimals, a counter step now and then: both value paths of the codec.
    v = i % 50 === 0 ? v + 1000 : Math.round((v + Math.sin(i) * 3) * 100) / 100;
    const t = T0 + i * 10_000 + (i % 7 === 0 ? 1 : 0);
    write(buf, seqs, t, v);
    one.encode(t, v, TimeUnit.Millisecond);
  }
  assert.ok(buf.sealedCount() >= 5);
  const stream = blockStream(buf.buckets, T0, null, "test");
  assert.ok(stream !== null);
  assert.deepEqual(stream, one.bytes());
  // Merged over an older volume stream: the buffer's points win at equal instants.
  const older = new M3tszEncoder(T0);
  older.encode(T0 - 0 + 5, 1, TimeUnit.Millisecond);
  older.encode(T0 + 10_000, 2, TimeUnit.Millisecond);
  const merged = blockStream(buf.buckets, T0, older.bytes(), "test");
  assert.ok(merged !== null);
  const want = decodeAll(one.bytes());
  want.splice(1, 0, [T0 + 5, 1]);
  assert.deepEqual(decodeAll(merged), want);
});

test("reads over any range match a plain model across cuts, overwrites, out-of-order and cold writes, and ticks", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          // 0: the next in-order datapoint; 1: an earlier instant (overwrite or fill);
          // 2: the same instant as the last one written.
          fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2),
          fc.integer({ min: 0, max: 1000 }),
          fc.integer({ min: -5, max: 5 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 60 }),
        ),
        { minLength: 100, maxLength: 700 },
      ),
      fc.array(fc.tuple(fc.nat(1100), fc.nat(1100)), { minLength: 1, maxLength: 8 }),
      (ops, ranges) => {
        const buf = new SeriesBuffer();
        const seqs = seqSource();
        const model = new Map<number, number>();
        const step = 10_000;
        let next = 0;
        let lastSlot = 0;
        for (const [kind, pick, v, cold, tick] of ops) {
          let slot: number;
          if (kind === 0) slot = next++;
          else if (kind === 1) slot = next === 0 ? 0 : pick % next;
          else slot = lastSlot;
          lastSlot = slot;
          // Slots past 720 land in the next block.
          const t = T0 + slot * step;
          write(buf, seqs, t, v, cold && kind !== 0 ? WriteType.Cold : WriteType.Warm);
          model.set(t, v);
          if (tick === 0) buf.mergeEncoders();
        }
        const all = [...model.entries()].sort((a, b) => a[0] - b[0]);
        assert.deepEqual(readRange(buf, T0, T0 + 2 * BLOCK).points, all);
        for (const [a, b] of ranges) {
          const start = T0 + Math.min(a, b) * step - (a % 3) * 1000;
          const end = T0 + Math.max(a, b) * step + (b % 2) * 1;
          const want = all.filter(([t]) => t >= start && t < end);
          assert.deepEqual(readRange(buf, start, end).points, want, `range [${start}, ${end})`);
        }
        for (const blockStartMs of [T0, T0 + BLOCK]) {
          const want = all.filter(([t]) => t >= blockStartMs && t < blockStartMs + BLOCK);
          const stream = blockStream(buf.buckets, blockStartMs, null, "test");
          assert.deepEqual(stream === null ? [] : decodeAll(stream), want);
        }
      },
    ),
    { seed: 29, numRuns: 150 },
  );
});
