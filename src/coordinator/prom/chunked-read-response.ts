// Prometheus remote read's STREAMED_XOR_CHUNKS answer (storage/remote/chunked.go,
// codec.go; prompb/remote.proto, types.proto): a writer and a reader of its frames.
//
// A frame is a uvarint length n, the CRC-32C of the message as 4 big-endian
// bytes, then n bytes of one ChunkedReadResponse:
//   ChunkedReadResponse 1 chunked_series: ChunkedSeries, 2 query_index (int64)
//   ChunkedSeries       1 labels: Label {1 name, 2 value}, 2 chunks: Chunk
//   Chunk               1 min_time_ms, 2 max_time_ms (int64), 3 type (XOR = 1), 4 data
// Each frame carries exactly one series, as Prometheus sends them and as its
// client reads them (it takes chunked_series[0] of each frame and drops the
// rest); a long series continues in the next frames under the same labels.
// Fields holding their default (0, "") are left out, as proto3 encoders do.

import { MAX_SAMPLES_PER_CHUNK, XorChunkEncoder } from "../../codec/index.js";
import {
  BYTES,
  crc32c,
  delimitedSize,
  int64Size,
  M3tsError,
  ProtoReader,
  ProtoWriter,
  utf8Size,
  VARINT,
  varintSize,
} from "../../x/index.js";
import type { Labels } from "./read-response.js";

/** Prometheus's default for --storage.remote.read-max-bytes-in-frame. */
export const DEFAULT_MAX_BYTES_IN_FRAME = 1 << 20;

/** Chunk.Encoding XOR. */
export const CHUNK_TYPE_XOR = 1;

const FRAME_HEADER_MAX_BYTES = 10 + 4;

export interface ChunkedReadResponseOptions {
  /** Largest ChunkedReadResponse message in a frame, unless one chunk alone is larger. */
  maxBytesInFrame?: number;
}

/**
 * Writes series as XOR chunks of at most 120 samples, in frames of at most
 * maxBytesInFrame message bytes, each frame handed to the sink as soon as it
 * is complete. Each frame is a new array, which the sink may keep.
 */
export class ChunkedReadResponseWriter {
  /** Frames and bytes (headers included) handed to the sink so far. */
  framesWritten = 0;
  bytesWritten = 0;
  private readonly sink: (frame: Uint8Array) => void;
  private readonly maxBytesInFrame: number;
  private readonly encoder = new XorChunkEncoder();
  // Chunks of the frame being filled: their bytes back to back in `data`,
  // and per chunk its end offset in `data` and its time range.
  private data = new Uint8Array(4096);
  private dataBytes = 0;
  private chunkEnd = new Float64Array(64);
  private chunkMinMs = new Float64Array(64);
  private chunkMaxMs = new Float64Array(64);
  private chunkCount = 0;
  private labelBytes = new Uint32Array(64);

  constructor(sink: (frame: Uint8Array) => void, options: ChunkedReadResponseOptions = {}) {
    const max = options.maxBytesInFrame ?? DEFAULT_MAX_BYTES_IN_FRAME;
    if (!(Number.isSafeInteger(max) && max > 0)) {
      throw new RangeError(`maxBytesInFrame must be a positive integer, not ${max}`);
    }
    this.sink = sink;
    this.maxBytesInFrame = max;
  }

  /**
   * Sends the first `count` samples of a series (times non-decreasing, in
   * int64 ms) as frames answering query `queryIndex`. A series without
   * samples sends nothing. Throws XorChunkAppendError for times out of order
   * (frames of the series already sent stay sent).
   */
  writeSeries(
    queryIndex: number,
    labels: Labels,
    timesMs: Float64Array,
    values: Float64Array,
    count: number,
  ): void {
    if (!(Number.isSafeInteger(queryIndex) && queryIndex >= 0)) {
      throw new RangeError(`query index ${queryIndex} is not a non-negative integer`);
    }
    if (!(count >= 0 && count <= timesMs.length && count <= values.length)) {
      throw new RangeError(
        `count ${count} exceeds the ${timesMs.length} times or ${values.length} values`,
      );
    }
    // Chunks left by a series whose samples were refused are not sent.
    this.chunkCount = 0;
    this.dataBytes = 0;
    if (count === 0) return;
    if (this.labelBytes.length < labels.length * 2) {
      this.labelBytes = new Uint32Array(labels.length * 4);
    }
    let labelsBytes = 0;
    for (let i = 0; i < labels.length; i++) {
      const n = utf8Size(labels[i][0]);
      const v = utf8Size(labels[i][1]);
      this.labelBytes[2 * i] = n;
      this.labelBytes[2 * i + 1] = v;
      labelsBytes += delimitedSize(stringFieldSize(n) + stringFieldSize(v));
    }
    const queryIndexBytes = queryIndex === 0 ? 0 : 1 + varintSize(queryIndex);
    // The values' IEEE 754 bits, read as words so NaN payloads pass untouched.
    const bits = new Uint32Array(values.buffer, values.byteOffset, count * 2);
    const e = this.encoder;
    let seriesBytes = labelsBytes;
    for (let i = 0; i < count; i += MAX_SAMPLES_PER_CHUNK) {
      e.reset();
      const end = Math.min(count, i + MAX_SAMPLES_PER_CHUNK);
      for (let k = i; k < end; k++) e.appendBits(timesMs[k], bits[2 * k + 1], bits[2 * k]);
      const chunkBytes = delimitedSize(chunkSize(e.minTimeMs, e.maxTimeMs, e.byteLength));
      const grown = seriesBytes + chunkBytes;
      if (this.chunkCount > 0 && delimitedSize(grown) + queryIndexBytes > this.maxBytesInFrame) {
        this.emit(queryIndex, labels, seriesBytes, queryIndexBytes);
        seriesBytes = labelsBytes;
      }
      this.keepChunk(e);
      seriesBytes += chunkBytes;
    }
    this.emit(queryIndex, labels, seriesBytes, queryIndexBytes);
  }

  private keepChunk(e: XorChunkEncoder): void {
    const need = this.dataBytes + e.byteLength;
    if (need > this.data.length) {
      const grown = new Uint8Array(Math.max(need, this.data.length * 2));
      grown.set(this.data.subarray(0, this.dataBytes));
      this.data = grown;
    }
    if (this.chunkCount === this.chunkEnd.length) {
      this.chunkEnd = grow(this.chunkEnd);
      this.chunkMinMs = grow(this.chunkMinMs);
      this.chunkMaxMs = grow(this.chunkMaxMs);
    }
    this.dataBytes += e.copyTo(this.data, this.dataBytes);
    const c = this.chunkCount++;
    this.chunkEnd[c] = this.dataBytes;
    this.chunkMinMs[c] = e.minTimeMs;
    this.chunkMaxMs[c] = e.maxTimeMs;
  }

  /** Writes the kept chunks as one frame of exactly the measured size. */
  private emit(
    queryIndex: number,
    labels: Labels,
    seriesBytes: number,
    queryIndexBytes: number,
  ): void {
    const messageBytes = delimitedSize(seriesBytes) + queryIndexBytes;
    // A fresh writer per frame, since the sink may keep the frame; the slack
    // covers the ten bytes ProtoWriter.varint asks room for, so it never grows.
    const w = new ProtoWriter(FRAME_HEADER_MAX_BYTES + messageBytes + 16);
    w.varint(messageBytes);
    const crcAt = w.pos;
    w.pos += 4;
    const start = w.pos;
    w.key(1, BYTES);
    w.varint(seriesBytes);
    for (let i = 0; i < labels.length; i++) {
      const n = this.labelBytes[2 * i];
      const v = this.labelBytes[2 * i + 1];
      w.key(1, BYTES);
      w.varint(stringFieldSize(n) + stringFieldSize(v));
      if (n > 0) w.stringField(1, labels[i][0], n);
      if (v > 0) w.stringField(2, labels[i][1], v);
    }
    let from = 0;
    for (let c = 0; c < this.chunkCount; c++) {
      const to = this.chunkEnd[c];
      const minMs = this.chunkMinMs[c];
      const maxMs = this.chunkMaxMs[c];
      w.key(2, BYTES);
      w.varint(chunkSize(minMs, maxMs, to - from));
      if (minMs !== 0) {
        w.key(1, VARINT);
        w.int64(minMs);
      }
      if (maxMs !== 0) {
        w.key(2, VARINT);
        w.int64(maxMs);
      }
      w.key(3, VARINT);
      w.varint(CHUNK_TYPE_XOR);
      w.key(4, BYTES);
      w.varint(to - from);
      w.buf.set(this.data.subarray(from, to), w.pos);
      w.pos += to - from;
      from = to;
    }
    if (queryIndex !== 0) {
      w.key(2, VARINT);
      w.varint(queryIndex);
    }
    if (w.pos - start !== messageBytes) {
      throw new Error(`frame of ${w.pos - start} bytes, measured ${messageBytes}`);
    }
    w.view.setUint32(crcAt, crc32c(w.buf, start, w.pos), false);
    this.chunkCount = 0;
    this.dataBytes = 0;
    this.framesWritten++;
    this.bytesWritten += w.pos;
    this.sink(w.buf.subarray(0, w.pos));
  }
}

function grow(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function stringFieldSize(n: number): number {
  return n === 0 ? 0 : delimitedSize(n);
}

/** A Chunk message's size; times of 0 are left out. */
function chunkSize(minMs: number, maxMs: number, dataBytes: number): number {
  return (
    (minMs === 0 ? 0 : 1 + int64Size(minMs)) +
    (maxMs === 0 ? 0 : 1 + int64Size(maxMs)) +
    2 +
    delimitedSize(dataBytes)
  );
}

/** A streamed answer that is cut short, fails its checksum, or is not ChunkedReadResponses. */
export class ChunkedFrameError extends M3tsError {
  readonly offset: number;

  constructor(offset: number, what: string) {
    super("M3TS_ERR_CHUNKED_FRAME", `streamed read response: ${what} at byte ${offset}`);
    this.offset = offset;
  }
}

export interface ChunkedChunk {
  minTimeMs: number;
  maxTimeMs: number;
  type: number;
  data: Uint8Array;
}

export interface ChunkedSeries {
  labels: [string, string][];
  chunks: ChunkedChunk[];
}

export interface ChunkedFrame {
  queryIndex: number;
  series: ChunkedSeries[];
}

export interface ReadChunkedFramesOptions {
  /** Largest message accepted in one frame; larger ones are a ChunkedFrameError. */
  maxFrameBytes?: number;
}

// Offsets in errors are within the whole stream: `base` is where the bytes
// the reader holds start (a frame's message, once its header is read).
let base = 0;
const wire = new ProtoReader((offset, what) => new ChunkedFrameError(base + offset, what));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a whole streamed answer into frames, checks each CRC-32C and
 * decodes each ChunkedReadResponse; chunk data is copied out. Throws
 * ChunkedFrameError on truncation, a checksum mismatch or a bad message.
 */
export function readChunkedFrames(
  bytes: Uint8Array,
  options: ReadChunkedFramesOptions = {},
): ChunkedFrame[] {
  const maxFrameBytes = options.maxFrameBytes ?? Number.MAX_SAFE_INTEGER;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: ChunkedFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    base = 0;
    wire.reset(bytes);
    wire.pos = pos;
    wire.varint(bytes.length);
    const len = wire.value;
    if (len < 0 || len > maxFrameBytes) {
      throw new ChunkedFrameError(
        pos,
        `frame of ${len < 0 ? "over 2^53" : len} bytes exceeds the limit of ${maxFrameBytes}`,
      );
    }
    const start = wire.pos + 4;
    if (start + len > bytes.length) {
      throw new ChunkedFrameError(
        pos,
        `frame of ${len} bytes cut short: ${Math.max(0, bytes.length - start)} bytes follow its header`,
      );
    }
    const stored = view.getUint32(wire.pos, false);
    const actual = crc32c(bytes, start, start + len);
    if (stored !== actual) {
      throw new ChunkedFrameError(
        pos,
        `frame CRC-32C is ${hex(actual)}, its header says ${hex(stored)}`,
      );
    }
    frames.push(decodeFrame(bytes.subarray(start, start + len), start));
    pos = start + len;
  }
  return frames;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}

function decodeFrame(msg: Uint8Array, at: number): ChunkedFrame {
  wire.reset(msg);
  base = at;
  const frame: ChunkedFrame = { queryIndex: 0, series: [] };
  const end = msg.length;
  while (wire.pos < end) {
    const keyAt = wire.pos;
    wire.key(end);
    if (wire.field === 1 && wire.type === BYTES) {
      frame.series.push(series(wire.lengthOf(end, "chunked_series")));
    } else if (wire.field === 2 && wire.type === VARINT) {
      wire.varint(end);
      frame.queryIndex = int64(keyAt, "query_index");
    } else wire.skip(wire.type, end);
  }
  return frame;
}

function series(end: number): ChunkedSeries {
  const s: ChunkedSeries = { labels: [], chunks: [] };
  while (wire.pos < end) {
    wire.key(end);
    if (wire.field === 1 && wire.type === BYTES) {
      s.labels.push(label(wire.lengthOf(end, "label")));
    } else if (wire.field === 2 && wire.type === BYTES) {
      s.chunks.push(chunk(wire.lengthOf(end, "chunk")));
    } else wire.skip(wire.type, end);
  }
  return s;
}

function label(end: number): [string, string] {
  let name = "";
  let value = "";
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    if ((field === 1 || field === 2) && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "label string");
      let s: string;
      try {
        s = utf8.decode(wire.bytes.subarray(wire.pos, stop));
      } catch {
        throw new ChunkedFrameError(base + wire.pos, "label name or value is not valid UTF-8");
      }
      if (field === 1) name = s;
      else value = s;
      wire.pos = stop;
    } else wire.skip(wire.type, end);
  }
  return [name, value];
}

function chunk(end: number): ChunkedChunk {
  const c: ChunkedChunk = { minTimeMs: 0, maxTimeMs: 0, type: 0, data: EMPTY };
  while (wire.pos < end) {
    const keyAt = wire.pos;
    wire.key(end);
    const field = wire.field;
    if (wire.type === VARINT && field >= 1 && field <= 3) {
      wire.varint(end);
      if (field === 1) c.minTimeMs = int64(keyAt, "min_time_ms");
      else if (field === 2) c.maxTimeMs = int64(keyAt, "max_time_ms");
      else c.type = wire.lo | 0;
    } else if (field === 4 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "chunk data");
      c.data = wire.bytes.slice(wire.pos, stop);
      wire.pos = stop;
    } else wire.skip(wire.type, end);
  }
  return c;
}

const EMPTY = new Uint8Array(0);

/** The last varint as an int64; a time beyond ±2^53 ms cannot be held exactly. */
function int64(at: number, what: string): number {
  const hi = wire.hi | 0;
  if (hi >= 0x200000 || hi < -0x200000) {
    throw new ChunkedFrameError(base + at, `${what} is beyond ±2^53`);
  }
  return hi * 0x100000000 + wire.lo;
}
