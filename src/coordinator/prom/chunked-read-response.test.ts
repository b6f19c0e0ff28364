import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { XorChunkAppendError, XorChunkIterator } from "../../codec/index.js";
import {
  CHUNK_TYPE_XOR,
  type ChunkedFrame,
  ChunkedFrameError,
  ChunkedReadResponseWriter,
  DEFAULT_MAX_BYTES_IN_FRAME,
  readChunkedFrames,
} from "./chunked-read-response.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

type Labels = [string, string][];

interface Series {
  labels: Labels;
  times: number[];
  /** Value bits as [hi, lo] words. */
  bits: [number, number][];
}

function columns(s: Series): { times: Float64Array; values: Float64Array } {
  const values = new Float64Array(s.bits.length);
  const words = new Uint32Array(values.buffer);
  s.bits.forEach(([hi, lo], i) => {
    words[2 * i + 1] = hi;
    words[2 * i] = lo;
  });
  return { times: Float64Array.from(s.times), values };
}

function write(
  series: readonly Series[],
  options: { maxBytesInFrame?: number } = {},
  queryIndex = 0,
): { frames: Uint8Array[]; writer: ChunkedReadResponseWriter } {
  const frames: Uint8Array[] = [];
  const writer = new ChunkedReadResponseWriter((f) => frames.push(f), options);
  for (const s of series) {
    const { times, values } = columns(s);
    writer.writeSeries(queryIndex, s.labels, times, values, times.length);
  }
  return { frames, writer };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Size of a uvarint, counted the slow way. */
function uvarintBytes(v: bigint): number {
  let n = 1;
  for (let x = BigInt.asUintN(64, v); x >= 0x80n; x >>= 7n) n++;
  return n;
}

/** Bytes a Chunk takes inside a ChunkedSeries (key, length and body). */
function chunkFieldBytes(c: { minTimeMs: number; maxTimeMs: number; data: Uint8Array }): number {
  const min = c.minTimeMs === 0 ? 0 : 1 + uvarintBytes(BigInt(c.minTimeMs));
  const max = c.maxTimeMs === 0 ? 0 : 1 + uvarintBytes(BigInt(c.maxTimeMs));
  const body = min + max + 2 + 1 + uvarintBytes(BigInt(c.data.length)) + c.data.length;
  return 1 + uvarintBytes(BigInt(body)) + body;
}

/** The message length a frame's header announces. */
function messageBytes(frame: Uint8Array): number {
  let v = 0;
  for (let i = 0, mul = 1; ; i++, mul *= 128) {
    v += (frame[i] & 0x7f) * mul;
    if (frame[i] < 0x80) return v;
  }
}

/** The ChunkedSeries length inside a frame: after the header and the field's key. */
function seriesBytes(frame: Uint8Array): number {
  const header = uvarintBytes(BigInt(messageBytes(frame))) + 4;
  return messageBytes(frame.subarray(header + 1));
}

// A series read from Prometheus 2.42 with STREAMED_XOR_CHUNKS: its one
// frame, byte for byte (one chunk crossing every bucket edge and XOR case).
const PROMETHEUS_FRAME =
  "ec01c7448a5c0ae9010a100a085f5f6e616d655f5f120478635f610a090a036a6f621202786312c90108d2cd8299" +
  "a0341081f6cc99a034180122b6010013a49b85b2c0683ff0000000000000e8073fc20000000181f4c00efb530018" +
  "0000000000000074000a001800200000000048db0800680092345deadacdbde000a00048d177ab6fbbf400028000" +
  "000000000000d00019ffc00000000000038400068000000000000000ef000090164000000000003a0000200000cc" +
  "ccccccccde800018000000000000000fc00000000002000067fe0955555555554ffffffffffff800009f99999999" +
  "966666900efffffffe000000";
const PROMETHEUS_SERIES: Series = {
  labels: [
    ["__name__", "xc_a"],
    ["job", "xc"],
  ],
  times: [
    1795348801234, 1795348802234, 1795348803234, 1795348804734, 1795348805934, 1795348815326,
    1795348816527, 1795348825921, 1795348827123, 1795348893861, 1795348895064, 1795348961804,
    1795348963008, 1795349488500, 1795349489705, 1795350015199, 1795350016405, 1795350017611,
    1795350018817,
  ],
  bits: [
    [0x3ff00000, 0],
    [0x3ff00000, 0],
    [0x3ff00000, 1],
    [0xbff00000, 1],
    [0x7ff00000, 2],
    [0x7ff00000, 2],
    [0x7ff80000, 0x1234],
    [0xfff12345, 0xdeadbeef],
    [0x7ff00000, 0],
    [0xfff00000, 0],
    [0x80000000, 0],
    [0, 0],
    [0x40590000, 0],
    [0x40590ccc, 0xcccccccd],
    [0x40590ccc, 0xccccccce],
    [0x3fb99999, 0x9999999a],
    [0x41dfffff, 0xffc00000],
    [0x40000000, 0],
    [0x40000000, 0],
  ],
};

/** Every sample of every frame, by series (consecutive frames of one label set joined). */
function samplesOf(frames: ChunkedFrame[]): Series[] {
  const out: Series[] = [];
  const it = new XorChunkIterator();
  for (const f of frames) {
    for (const s of f.series) {
      let last = out[out.length - 1];
      if (last === undefined || JSON.stringify(last.labels) !== JSON.stringify(s.labels)) {
        last = { labels: s.labels, times: [], bits: [] };
        out.push(last);
      }
      for (const c of s.chunks) {
        it.reset(c.data);
        while (it.next()) {
          last.times.push(it.timeMs);
          last.bits.push([it.valueHi, it.valueLo]);
        }
      }
    }
  }
  return out;
}

test("the writer produces Prometheus's frame, byte for byte, for the same series", () => {
  const { frames } = write([PROMETHEUS_SERIES]);
  assert.equal(frames.length, 1);
  assert.equal(toHex(frames[0]), PROMETHEUS_FRAME);
});

test("Prometheus's frame reads back to its labels, one XOR chunk and the exact samples", () => {
  const frames = readChunkedFrames(hex(PROMETHEUS_FRAME));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].queryIndex, 0);
  const [s] = frames[0].series;
  assert.deepEqual(s.labels, PROMETHEUS_SERIES.labels);
  assert.equal(s.chunks.length, 1);
  assert.equal(s.chunks[0].type, CHUNK_TYPE_XOR);
  assert.equal(s.chunks[0].minTimeMs, PROMETHEUS_SERIES.times[0]);
  assert.equal(s.chunks[0].maxTimeMs, PROMETHEUS_SERIES.times[18]);
  assert.deepEqual(samplesOf(frames), [PROMETHEUS_SERIES]);
});

test("the frame header is the uvarint length and the big-endian CRC-32C of the message", () => {
  const frame = hex(PROMETHEUS_FRAME);
  // 0xec 0x01 = 236 bytes of message after the 2 + 4 header bytes.
  assert.equal(messageBytes(frame), 236);
  assert.equal(frame.length, 2 + 4 + 236);
  assert.equal(toHex(frame.subarray(2, 6)), "c7448a5c");
});

test("the default frame limit is Prometheus's 1 MiB", () => {
  assert.equal(DEFAULT_MAX_BYTES_IN_FRAME, 1048576);
});

test("a series without samples sends nothing", () => {
  const { frames } = write([{ labels: [["a", "b"]], times: [], bits: [] }]);
  assert.equal(frames.length, 0);
});

test("a query index other than 0 is carried by every frame", () => {
  const series: Series = {
    labels: [["a", "b"]],
    times: [1, 2],
    bits: [
      [0, 1],
      [0, 2],
    ],
  };
  const { frames } = write([series], {}, 300);
  assert.equal(readChunkedFrames(frames[0])[0].queryIndex, 300);
});

test("a chunk larger than the frame limit goes out alone in its frame", () => {
  const times = Array.from({ length: 300 }, (_, i) => i * 1000);
  const bits = times.map((_, i): [number, number] => [0x40000000 + i, i * 7919]);
  const { frames } = write([{ labels: [["a", "b"]], times, bits }], { maxBytesInFrame: 10 });
  assert.equal(frames.length, 3);
  for (const f of frames) {
    const [decoded] = readChunkedFrames(f);
    assert.equal(decoded.series[0].chunks.length, 1);
    assert.ok(messageBytes(f) > 10);
  }
  assert.deepEqual(samplesOf(frames.map((f) => readChunkedFrames(f)[0]))[0].times, times);
});

test("samples refused by the chunk encoder leave nothing behind for the next series", () => {
  const frames: Uint8Array[] = [];
  const w = new ChunkedReadResponseWriter((f) => frames.push(f));
  const times = Float64Array.from({ length: 200 }, (_, i) => (i === 150 ? 0 : i));
  assert.throws(
    () => w.writeSeries(0, [["a", "1"]], times, new Float64Array(200), 200),
    XorChunkAppendError,
  );
  w.writeSeries(0, [["a", "2"]], Float64Array.of(7), Float64Array.of(1), 1);
  const decoded = readChunkedFrames(concat(frames));
  assert.deepEqual(
    decoded.map((f) => [f.series[0].labels, f.series[0].chunks.length]),
    [[[["a", "2"]], 1]],
  );
});

test("misuse is refused: a bad frame limit, query index or count", () => {
  assert.throws(() => new ChunkedReadResponseWriter(() => {}, { maxBytesInFrame: 0 }), RangeError);
  const w = new ChunkedReadResponseWriter(() => {});
  assert.throws(() => w.writeSeries(-1, [], Float64Array.of(1), Float64Array.of(1), 1), RangeError);
  assert.throws(() => w.writeSeries(0, [], Float64Array.of(1), Float64Array.of(1), 2), RangeError);
});

// --- properties ---

const seriesArb: fc.Arbitrary<Series> = fc
  .record({
    labels: fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), {
      maxLength: 4,
    }),
    start: fc.integer({ min: -1_000_000, max: 2_000_000_000 }).map((t) => t * 1000),
    steps: fc.array(
      fc.record({
        delta: fc.oneof(fc.constant(15_000), fc.integer({ min: 0, max: 10_000_000 })),
        hi: fc.nat({ max: 0xffffffff }),
        lo: fc.nat({ max: 0xffffffff }),
      }),
      { maxLength: 600 },
    ),
  })
  .map(({ labels, start, steps }) => {
    const times: number[] = [];
    let t = start;
    for (const s of steps) {
      times.push(t);
      t += s.delta;
    }
    return { labels, times, bits: steps.map((s): [number, number] => [s.hi, s.lo]) };
  });

test("frames carry one series each, chunks of 120, and give back every sample exactly", () => {
  fc.assert(
    fc.property(
      fc.array(seriesArb, { maxLength: 5 }),
      fc.oneof(fc.integer({ min: 1, max: 4000 }), fc.constant(DEFAULT_MAX_BYTES_IN_FRAME)),
      fc.nat({ max: 1000 }),
      (series, max, queryIndex) => {
        const { frames, writer } = write(series, { maxBytesInFrame: max }, queryIndex);
        assert.equal(writer.framesWritten, frames.length);
        assert.equal(
          writer.bytesWritten,
          frames.reduce((n, f) => n + f.length, 0),
        );
        const decoded = readChunkedFrames(concat(frames));
        assert.equal(decoded.length, frames.length);
        // Series without samples send nothing; label sets may repeat, so
        // the check joins runs of frames that belong to one written series.
        const sent = series.filter((s) => s.times.length > 0);
        let k = 0;
        for (const s of sent) {
          const times: number[] = [];
          const bits: [number, number][] = [];
          const it = new XorChunkIterator();
          while (times.length < s.times.length) {
            const frame = decoded[k];
            assert.equal(frame.queryIndex, queryIndex);
            assert.equal(frame.series.length, 1);
            assert.deepEqual(frame.series[0].labels, s.labels);
            const chunks = frame.series[0].chunks;
            if (messageBytes(frames[k]) > max) assert.equal(chunks.length, 1);
            for (const c of chunks) {
              assert.equal(c.type, CHUNK_TYPE_XOR);
              it.reset(c.data);
              const first = times.length;
              while (it.next()) {
                times.push(it.timeMs);
                bits.push([it.valueHi, it.valueLo]);
              }
              const n = times.length - first;
              assert.ok(n === 120 || times.length === s.times.length, `chunk of ${n}`);
              assert.equal(c.minTimeMs, times[first]);
              assert.equal(c.maxTimeMs, times[times.length - 1]);
            }
            // Frames are filled: the next frame of this series would not fit its first chunk.
            if (times.length < s.times.length) {
              const next = decoded[k + 1].series[0].chunks[0];
              const grown = seriesBytes(frames[k]) + chunkFieldBytes(next);
              const qi = queryIndex === 0 ? 0 : 1 + uvarintBytes(BigInt(queryIndex));
              const message = 1 + uvarintBytes(BigInt(grown)) + grown + qi;
              assert.ok(message > max, `frame of ${messageBytes(frames[k])} bytes not filled`);
            }
            k++;
          }
          assert.deepEqual({ times, bits }, { times: s.times, bits: s.bits });
        }
        assert.equal(k, decoded.length);
      },
    ),
    { numRuns: 150 },
  );
});

test("each frame is an array of its own, which the sink may keep", () => {
  const times = Array.from({ length: 600 }, (_, i) => i);
  const bits = times.map((): [number, number] => [0, 1]);
  const { frames } = write([{ labels: [], times, bits }], { maxBytesInFrame: 50 });
  assert.ok(frames.length > 1);
  assert.equal(new Set(frames.map((f) => f.buffer)).size, frames.length);
});

/** A valid stream of several frames for the fault tests below. */
const streamArb = fc
  .array(seriesArb, { minLength: 1, maxLength: 3 })
  .map((series) => concat(write(series, { maxBytesInFrame: 300 }).frames))
  .filter((b) => b.length > 0);

function frameEnds(stream: Uint8Array): Set<number> {
  const ends = new Set<number>([0]);
  for (let at = 0; at < stream.length; ) {
    const n = messageBytes(stream.subarray(at));
    at += uvarintBytes(BigInt(n)) + 4 + n;
    ends.add(at);
  }
  return ends;
}

test("a stream cut anywhere but between frames is refused with ChunkedFrameError", () => {
  fc.assert(
    fc.property(streamArb, (stream) => {
      const ends = frameEnds(stream);
      const whole = readChunkedFrames(stream);
      for (let len = 0; len < stream.length; len++) {
        const cut = stream.subarray(0, len);
        if (ends.has(len)) {
          const got = readChunkedFrames(cut);
          assert.deepEqual(got, whole.slice(0, got.length));
        } else assert.throws(() => readChunkedFrames(cut), ChunkedFrameError, `cut at ${len}`);
      }
    }),
    { numRuns: 30 },
  );
});

test("a flipped bit in a message or its checksum is caught by the CRC", () => {
  fc.assert(
    fc.property(streamArb, fc.nat(), (stream, at) => {
      // Flip a bit after the first frame's length varint.
      const lengthBytes = uvarintBytes(BigInt(messageBytes(stream)));
      const span = (stream.length - lengthBytes) * 8;
      const bit = lengthBytes * 8 + (at % span);
      const bad = stream.slice();
      bad[bit >>> 3] ^= 0x80 >>> (bit & 7);
      const firstEnd = lengthBytes + 4 + messageBytes(stream);
      if (bit >>> 3 < firstEnd) {
        assert.throws(() => readChunkedFrames(bad), /CRC-32C is 0x[0-9a-f]{8}, its header says/);
      } else {
        assert.throws(() => readChunkedFrames(bad), ChunkedFrameError);
      }
    }),
    { numRuns: 300 },
  );
});

test("garbage is read as frames or refused with ChunkedFrameError, never anything else", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      try {
        readChunkedFrames(bytes);
      } catch (e) {
        if (!(e instanceof ChunkedFrameError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test("a reader's frame limit refuses a larger frame before reading it", () => {
  const frame = hex(PROMETHEUS_FRAME);
  assert.equal(readChunkedFrames(frame, { maxFrameBytes: 236 }).length, 1);
  assert.throws(
    () => readChunkedFrames(frame, { maxFrameBytes: 235 }),
    (e: unknown) =>
      e instanceof ChunkedFrameError &&
      e.code === "M3TS_ERR_CHUNKED_FRAME" &&
      e.offset === 0 &&
      /236 bytes exceeds the limit of 235/.test(e.message),
  );
});
