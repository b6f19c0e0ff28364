// Prometheus remote write 1.0's WriteRequest (prompb/types.proto), read
// straight from the protobuf wire bytes into columns that are reused from
// one request to the next: per series the range of its labels and samples,
// per label the byte ranges of its name and value in the body, per sample
// its time and value. No object is made per series, label or sample; label
// bytes stay in the body so that known series are found from their bytes.
//
// Fields read (field number: wire type):
//   WriteRequest  1 timeseries (message), 3 metadata (message, counted)
//   TimeSeries    1 labels, 2 samples, 3 exemplars (counted), 4 histograms (counted)
//   Label         1 name (bytes), 2 value (bytes)
//   Sample        1 value (double), 2 timestamp (int64, ms)
// Anything else is skipped, as protobuf readers must.
import { M3tsError } from "../x/index.js";

/** Bytes that are not a WriteRequest; `offset` is where reading failed. */
export class WriteRequestFormatError extends M3tsError {
  readonly offset: number;

  constructor(offset: number, what: string) {
    super("M3TS_ERR_WRITE_REQUEST_FORMAT", `remote write request: ${what} at byte ${offset}`);
    this.offset = offset;
  }
}

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** A decoded WriteRequest. Arrays grow as needed and are kept for the next request. */
export class WriteRequestColumns {
  /** Series, labels and samples in the last request decoded. */
  series = 0;
  labels = 0;
  samples = 0;
  /** Entries decoded but not kept: exemplars, native histograms, metadata. */
  exemplars = 0;
  histograms = 0;
  metadata = 0;
  /** Per series: index of its first label and sample, and how many. */
  labelStart = new Int32Array(256);
  labelCount = new Int32Array(256);
  sampleStart = new Int32Array(256);
  sampleCount = new Int32Array(256);
  /** Per label: where its name and value are in the body. */
  nameAt = new Int32Array(1024);
  nameLen = new Int32Array(1024);
  valueAt = new Int32Array(1024);
  valueLen = new Int32Array(1024);
  /** Per sample. */
  timesMs = new Float64Array(1024);
  values = new Float64Array(1024);

  reset(): void {
    this.series = 0;
    this.labels = 0;
    this.samples = 0;
    this.exemplars = 0;
    this.histograms = 0;
    this.metadata = 0;
  }

  addSeries(): number {
    if (this.series === this.labelStart.length) {
      const n = this.series * 2;
      this.labelStart = grow32(this.labelStart, n);
      this.labelCount = grow32(this.labelCount, n);
      this.sampleStart = grow32(this.sampleStart, n);
      this.sampleCount = grow32(this.sampleCount, n);
    }
    const s = this.series++;
    this.labelStart[s] = this.labels;
    this.labelCount[s] = 0;
    this.sampleStart[s] = this.samples;
    this.sampleCount[s] = 0;
    return s;
  }

  addLabel(): number {
    if (this.labels === this.nameAt.length) {
      const n = this.labels * 2;
      this.nameAt = grow32(this.nameAt, n);
      this.nameLen = grow32(this.nameLen, n);
      this.valueAt = grow32(this.valueAt, n);
      this.valueLen = grow32(this.valueLen, n);
    }
    const l = this.labels++;
    this.nameAt[l] = 0;
    this.nameLen[l] = 0;
    this.valueAt[l] = 0;
    this.valueLen[l] = 0;
    return l;
  }

  addSample(): number {
    if (this.samples === this.timesMs.length) {
      const n = this.samples * 2;
      this.timesMs = grow64(this.timesMs, n);
      this.values = grow64(this.values, n);
    }
    const i = this.samples++;
    this.timesMs[i] = 0;
    this.values[i] = 0;
    return i;
  }
}

function grow32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function grow64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/** Reads protobuf wire data. */
class Wire {
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  pos = 0;
  /** The last varint's low and high 32 bits. */
  lo = 0;
  hi = 0;
  /** The last varint as a number when below 2^53, else -1. */
  value = 0;
  /** The last key's field number and wire type. */
  field = 0;
  type = 0;

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  /** Reads a varint of up to 10 bytes. */
  varint(end: number): void {
    const b = this.bytes;
    // Keys and lengths are nearly always one byte.
    if (this.pos < end && b[this.pos] < 0x80) {
      this.lo = this.value = b[this.pos++];
      this.hi = 0;
      return;
    }
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= end) throw new WriteRequestFormatError(this.pos, "varint cut short");
      if (i === 10) throw new WriteRequestFormatError(this.pos, "varint longer than 10 bytes");
      const byte = b[this.pos++];
      const bits = byte & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi = bits >>> 4;
      } else hi |= bits << (shift - 32);
      shift += 7;
      if (byte < 0x80) break;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    this.value = this.hi < 0x200000 ? this.hi * 0x100000000 + this.lo : -1;
  }

  /** The last varint as a signed 64-bit integer; throws beyond ±2^53. */
  int64(at: number, what: string): number {
    if (this.hi < 0x200000) return this.value;
    // Negative: two's complement over 64 bits.
    if (this.hi >= 0xffe00000) return (this.hi - 0x100000000) * 0x100000000 + this.lo;
    throw new WriteRequestFormatError(at, `${what} is beyond ±2^53`);
  }

  /** Reads a key into `field` and `type`. */
  key(end: number): void {
    const at = this.pos;
    this.varint(end);
    if (this.value < 0 || this.value > 0xffffffff) {
      throw new WriteRequestFormatError(at, "field key out of range");
    }
    this.field = Math.floor(this.value / 8);
    this.type = this.value & 7;
    if (this.field === 0) throw new WriteRequestFormatError(at, "field number 0");
  }
}

const wire = new Wire();

/**
 * Decodes a WriteRequest (uncompressed protobuf) into `out`, replacing what
 * it held. Throws WriteRequestFormatError naming the byte where the bytes
 * stop being one.
 */
export function decodeWriteRequest(body: Uint8Array, out: WriteRequestColumns): void {
  out.reset();
  wire.reset(body);
  try {
    request(out, body.length);
  } finally {
    // Do not keep the body alive until the next request.
    wire.reset(EMPTY);
  }
}

const EMPTY = new Uint8Array(0);

function request(out: WriteRequestColumns, end: number): void {
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === BYTES) {
      const stop = lengthOf(end, "timeseries");
      timeSeries(out, stop);
    } else if (field === 3 && type === BYTES) {
      wire.pos = lengthOf(end, "metadata");
      out.metadata++;
    } else skip(type, end);
  }
}

/** Reads a length prefix; returns where the field ends. */
function lengthOf(end: number, what: string): number {
  const at = wire.pos;
  wire.varint(end);
  const stop = wire.pos + wire.value;
  if (wire.value < 0 || stop > end) {
    throw new WriteRequestFormatError(at, `${what} length runs past its enclosing message`);
  }
  return stop;
}

function skip(type: number, end: number): void {
  const at = wire.pos;
  let stop: number;
  switch (type) {
    case VARINT:
      wire.varint(end);
      return;
    case FIXED64:
      stop = wire.pos + 8;
      break;
    case BYTES:
      stop = lengthOf(end, "field");
      break;
    case FIXED32:
      stop = wire.pos + 4;
      break;
    default:
      throw new WriteRequestFormatError(at, `wire type ${type} is not supported`);
  }
  if (stop > end) throw new WriteRequestFormatError(at, "field runs past its enclosing message");
  wire.pos = stop;
}

function timeSeries(out: WriteRequestColumns, end: number): void {
  const s = out.addSeries();
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === BYTES) {
      const stop = lengthOf(end, "label");
      label(out, stop);
      out.labelCount[s]++;
    } else if (field === 2 && type === BYTES) {
      const stop = lengthOf(end, "sample");
      sample(out, stop);
      out.sampleCount[s]++;
    } else if (field === 3 && type === BYTES) {
      wire.pos = lengthOf(end, "exemplar");
      out.exemplars++;
    } else if (field === 4 && type === BYTES) {
      wire.pos = lengthOf(end, "histogram");
      out.histograms++;
    } else skip(type, end);
  }
}

function label(out: WriteRequestColumns, end: number): void {
  const l = out.addLabel();
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if ((field === 1 || field === 2) && type === BYTES) {
      const stop = lengthOf(end, field === 1 ? "label name" : "label value");
      const at = wire.pos;
      if (field === 1) {
        out.nameAt[l] = at;
        out.nameLen[l] = stop - at;
      } else {
        out.valueAt[l] = at;
        out.valueLen[l] = stop - at;
      }
      wire.pos = stop;
    } else skip(type, end);
  }
}

function sample(out: WriteRequestColumns, end: number): void {
  const i = out.addSample();
  while (wire.pos < end) {
    const at = wire.pos;
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === FIXED64) {
      if (wire.pos + 8 > end) throw new WriteRequestFormatError(at, "sample value cut short");
      out.values[i] = wire.view.getFloat64(wire.pos, true);
      wire.pos += 8;
    } else if (field === 2 && type === VARINT) {
      wire.varint(end);
      out.timesMs[i] = wire.int64(at, "sample timestamp");
    } else skip(type, end);
  }
}
