// Prometheus remote read's STREAMED_XOR_CHUNKS answer: a stream of frames,
// each a uvarint length, the CRC-32C of the message as 4 big-endian bytes,
// then one ChunkedReadResponse (prompb/remote.proto, storage/remote/chunked.go):
//   ChunkedReadResponse 1 chunked_series: ChunkedSeries, 2 query_index (int64)
//   ChunkedSeries       1 labels: Label, 2 chunks: Chunk
//   Chunk               1 min_time_ms, 2 max_time_ms (int64), 3 type (XOR = 1), 4 data
// Each frame holds one series' chunks (a long series spans several frames),
// at most maxBytesInFrame unless a single chunk is larger.
import { crc32c, M3tsError } from "../x/index.js";
import { BYTES, ProtoReader, VARINT } from "./proto-reader.js";
import { delimitedSize, int64Size, ProtoWriter, utf8Size, varintSize } from "./proto-writer.js";
import { MAX_SAMPLES_PER_CHUNK, XorChunkEncoder } from "./xor-chunk.js";

const XOR = 1;

export class ChunkedReadResponseWriter {
  private readonly sink: (frame: Uint8Array) => void;
  private readonly maxBytesInFrame: number;
  private readonly encoder = new XorChunkEncoder();
  private readonly frame = new ProtoWriter();

  constructor(sink: (frame: Uint8Array) => void, options: { maxBytesInFrame?: number } = {}) {
    this.sink = sink;
    this.maxBytesInFrame = options.maxBytesInFrame ?? 1 << 20;
  }

  /** Encodes a series' samples as XOR chunks of at most 120 samples and sends them in frames. */
  writeSeries(
    queryIndex: number,
    labels: readonly (readonly [string, string])[],
    timesMs: Float64Array,
    values: Float64Array,
    count: number,
  ): void {
    const labelSizes = labels.map(([n, v]) => [utf8Size(n), utf8Size(v)] as const);
    let labelsBytes = 0;
    for (const [n, v] of labelSizes)
      labelsBytes += delimitedSize(delimitedSize(n) + delimitedSize(v));
    let chunks: { min: number; max: number; data: Uint8Array }[] = [];
    let chunksBytes = 0;
    const flush = () => {
      if (chunks.length > 0)
        this.emit(queryIndex, labels, labelSizes, labelsBytes, chunks, chunksBytes);
      chunks = [];
      chunksBytes = 0;
    };
    for (let i = 0; i < count; i += MAX_SAMPLES_PER_CHUNK) {
      const e = this.encoder;
      e.reset();
      const end = Math.min(count, i + MAX_SAMPLES_PER_CHUNK);
      for (let k = i; k < end; k++) e.append(timesMs[k], values[k]);
      const data = e.bytes().slice();
      const size = delimitedSize(chunkSize(e.minTimeMs, e.maxTimeMs, data.length));
      if (chunks.length > 0 && labelsBytes + chunksBytes + size + 16 > this.maxBytesInFrame)
        flush();
      chunks.push({ min: e.minTimeMs, max: e.maxTimeMs, data });
      chunksBytes += size;
    }
    flush();
  }

  /** Nothing is held between series; kept so callers can mark the end of a query. */
  flush(): void {}

  private emit(
    queryIndex: number,
    labels: readonly (readonly [string, string])[],
    labelSizes: readonly (readonly [number, number])[],
    labelsBytes: number,
    chunks: { min: number; max: number; data: Uint8Array }[],
    chunksBytes: number,
  ): void {
    const w = this.frame;
    w.reset();
    const seriesSize = labelsBytes + chunksBytes;
    const messageSize = delimitedSize(seriesSize) + 1 + int64Size(queryIndex);
    // Frame header: length, then a CRC placeholder filled in below.
    w.varint(messageSize);
    const crcAt = w.pos;
    w.ensure(4);
    w.pos += 4;
    const start = w.pos;
    w.key(1, BYTES);
    w.varint(seriesSize);
    labels.forEach(([name, value], i) => {
      const [n, v] = labelSizes[i];
      w.key(1, BYTES);
      w.varint(delimitedSize(n) + delimitedSize(v));
      w.stringField(1, name, n);
      w.stringField(2, value, v);
    });
    for (const c of chunks) {
      w.key(2, BYTES);
      w.varint(chunkSize(c.min, c.max, c.data.length));
      w.key(1, VARINT);
      w.int64(c.min);
      w.key(2, VARINT);
      w.int64(c.max);
      w.key(3, VARINT);
      w.varint(XOR);
      w.bytesField(4, c.data);
    }
    w.key(2, VARINT);
    w.int64(queryIndex);
    const crc = crc32c(w.buf, start, w.pos);
    w.view.setUint32(crcAt, crc, false);
    this.sink(w.result());
  }
}

function chunkSize(min: number, max: number, dataLength: number): number {
  return 1 + int64Size(min) + 1 + int64Size(max) + 1 + varintSize(XOR) + delimitedSize(dataLength);
}

/** A streamed answer that is cut short or whose frame fails its checksum. */
export class ChunkedFrameError extends M3tsError {
  constructor(offset: number, what: string) {
    super("M3TS_ERR_CHUNKED_FRAME", `streamed read response: ${what} at byte ${offset}`);
  }
}

export interface ChunkedFrame {
  queryIndex: number;
  series: {
    labels: [string, string][];
    chunks: { minTimeMs: number; maxTimeMs: number; type: number; data: Uint8Array }[];
  }[];
}

const wire = new ProtoReader((offset, what) => new ChunkedFrameError(offset, what));
const text = new TextDecoder();

/** Splits a streamed answer into its frames, checking each CRC, and decodes them. */
export function readChunkedFrames(bytes: Uint8Array): ChunkedFrame[] {
  const frames: ChunkedFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    wire.reset(bytes);
    wire.pos = pos;
    wire.varint(bytes.length);
    const len = wire.value;
    const start = wire.pos + 4;
    if (len < 0 || start + len > bytes.length) throw new ChunkedFrameError(pos, "frame cut short");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(wire.pos, false) !== crc32c(bytes, start, start + len)) {
      throw new ChunkedFrameError(pos, "frame CRC-32C does not match");
    }
    frames.push(decodeFrame(bytes.subarray(start, start + len)));
    pos = start + len;
  }
  return frames;
}

function decodeFrame(msg: Uint8Array): ChunkedFrame {
  wire.reset(msg);
  const frame: ChunkedFrame = { queryIndex: 0, series: [] };
  const end = msg.length;
  while (wire.pos < end) {
    const at = wire.pos;
    wire.key(end);
    if (wire.field === 1 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "chunked_series");
      frame.series.push(series(stop));
    } else if (wire.field === 2 && wire.type === VARINT) {
      wire.varint(end);
      frame.queryIndex = wire.int64(at, "query_index");
    } else wire.skip(wire.type, end);
  }
  return frame;
}

function series(end: number): ChunkedFrame["series"][number] {
  const s: ChunkedFrame["series"][number] = { labels: [], chunks: [] };
  while (wire.pos < end) {
    wire.key(end);
    if (wire.field === 1 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "label");
      let name = "";
      let value = "";
      while (wire.pos < stop) {
        wire.key(stop);
        const field = wire.field;
        const type = wire.type;
        if (type !== BYTES) {
          wire.skip(type, stop);
          continue;
        }
        const e = wire.lengthOf(stop, "label string");
        const str = text.decode(wire.bytes.subarray(wire.pos, e));
        if (field === 1) name = str;
        else if (field === 2) value = str;
        wire.pos = e;
      }
      s.labels.push([name, value]);
    } else if (wire.field === 2 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "chunk");
      const c = { minTimeMs: 0, maxTimeMs: 0, type: 0, data: new Uint8Array(0) };
      while (wire.pos < stop) {
        const at = wire.pos;
        wire.key(stop);
        const field = wire.field as number;
        const type = wire.type as number;
        if (type === VARINT && field <= 3) {
          wire.varint(stop);
          if (field === 1) c.minTimeMs = wire.int64(at, "min_time_ms");
          else if (field === 2) c.maxTimeMs = wire.int64(at, "max_time_ms");
          else c.type = wire.value;
        } else if (field === 4 && type === BYTES) {
          const e = wire.lengthOf(stop, "chunk data");
          c.data = wire.bytes.slice(wire.pos, e);
          wire.pos = e;
        } else wire.skip(type, stop);
      }
      s.chunks.push(c);
    } else wire.skip(wire.type, end);
  }
  return s;
}
