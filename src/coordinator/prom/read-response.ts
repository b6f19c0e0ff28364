// Writes Prometheus remote read's SAMPLES answer, ReadResponse (prompb/remote.proto,
// types.proto), uncompressed:
//   ReadResponse 1 results: QueryResult    QueryResult 1 timeseries: TimeSeries
//   TimeSeries   1 labels: Label, 2 samples: Sample
//   Label        1 name, 2 value           Sample 1 value (double), 2 timestamp (int64)
// Fields holding their default (0, "") are left out, as proto3 encoders do,
// except a value of -0, whose sign is kept. A QueryResult's length precedes
// it, so a result's series are only measured as they are added and are
// written at endResult: every byte goes once into one growing buffer.
import { delimitedSize, int64Size, ProtoWriter, utf8Size, varintSize } from "../../x/index.js";

export type Labels = readonly (readonly [string, string])[];

const BYTES = 2;
// Keys of the one-byte form: (field << 3) | wire type.
const KEY_LABEL_OR_SERIES = (1 << 3) | BYTES;
const KEY_SAMPLES = (2 << 3) | BYTES;
const KEY_SAMPLE_VALUE = (1 << 3) | 1;
const KEY_SAMPLE_TIME = (2 << 3) | 0;

/**
 * Builds one ReadResponse: per query, beginResult(), addSeries() for each
 * series, endResult(); then finish(). The arrays given to addSeries are read
 * at endResult, so they must not change before it.
 */
export class ReadResponseWriter {
  private readonly w: ProtoWriter;
  // The open result's series, in parallel arrays.
  private labels: Labels[] = [];
  private times: Float64Array[] = [];
  private values: Float64Array[] = [];
  private counts: number[] = [];
  /** Each series' TimeSeries message size. */
  private sizes: number[] = [];
  /** UTF-8 sizes of every label name and value of the open result, in order. */
  private labelBytes = new Uint32Array(64);
  private labelCount = 0;
  private seriesCount = 0;
  private resultBytes = 0;
  private open = false;

  constructor(initialCapacityBytes = 1 << 16) {
    this.w = new ProtoWriter(initialCapacityBytes);
  }

  /** Opens the result of the next query (results follow the request's query order). */
  beginResult(): void {
    if (this.open) this.endResult();
    this.open = true;
    this.seriesCount = 0;
    this.labelCount = 0;
    this.resultBytes = 0;
  }

  /** Adds a series of `count` samples, times in int64 milliseconds, to the open result. */
  addSeries(labels: Labels, timesMs: Float64Array, values: Float64Array, count: number): void {
    if (!this.open) throw new Error("ReadResponseWriter: addSeries before beginResult");
    if (!(count >= 0 && count <= timesMs.length && count <= values.length)) {
      throw new RangeError(
        `ReadResponseWriter: count ${count} exceeds the ${timesMs.length} times or ${values.length} values`,
      );
    }
    let size = 0;
    for (const [name, value] of labels) {
      const n = utf8Size(name);
      const v = utf8Size(value);
      this.pushLabelBytes(n, v);
      size += delimitedSize(stringFieldSize(n) + stringFieldSize(v));
    }
    for (let i = 0; i < count; i++) {
      const t = timesMs[i];
      if (!Number.isSafeInteger(t)) {
        throw new RangeError(`ReadResponseWriter: time ${t} ms is not a safe integer`);
      }
      const s = sampleSize(t, values[i]);
      size += 1 + varintSize(s) + s;
    }
    const k = this.seriesCount++;
    this.labels[k] = labels;
    this.times[k] = timesMs;
    this.values[k] = values;
    this.counts[k] = count;
    this.sizes[k] = size;
    this.resultBytes += delimitedSize(size);
  }

  /** Writes the open result and its series. */
  endResult(): void {
    if (!this.open) throw new Error("ReadResponseWriter: endResult without beginResult");
    const w = this.w;
    // The slack covers the ten bytes each ProtoWriter.varint asks room for,
    // so the buffer grows at most once per result.
    w.ensure(1 + varintSize(this.resultBytes) + this.resultBytes + 16);
    w.varint(KEY_LABEL_OR_SERIES);
    w.varint(this.resultBytes);
    const end = w.pos + this.resultBytes;
    let l = 0;
    for (let k = 0; k < this.seriesCount; k++) {
      w.varint(KEY_LABEL_OR_SERIES);
      w.varint(this.sizes[k]);
      for (const [name, value] of this.labels[k]) {
        const n = this.labelBytes[l++];
        const v = this.labelBytes[l++];
        w.varint(KEY_LABEL_OR_SERIES);
        w.varint(stringFieldSize(n) + stringFieldSize(v));
        if (n > 0) w.stringField(1, name, n);
        if (v > 0) w.stringField(2, value, v);
      }
      writeSamples(w, this.times[k], this.values[k], this.counts[k]);
      // Drop the references, so the caller's arrays are not kept alive.
      this.times[k] = EMPTY;
      this.values[k] = EMPTY;
      this.labels[k] = NO_LABELS;
    }
    if (w.pos !== end) {
      throw new Error(`ReadResponseWriter: wrote ${w.pos - end} bytes more than measured`);
    }
    this.open = false;
  }

  /**
   * The ReadResponse's bytes, closing an open result: a view of the writer's
   * buffer, valid until the writer is used again.
   */
  finish(): Uint8Array {
    if (this.open) this.endResult();
    const out = this.w.buf.subarray(0, this.w.pos);
    this.w.reset();
    return out;
  }

  private pushLabelBytes(n: number, v: number): void {
    if (this.labelCount + 2 > this.labelBytes.length) {
      const grown = new Uint32Array(this.labelBytes.length * 2);
      grown.set(this.labelBytes);
      this.labelBytes = grown;
    }
    this.labelBytes[this.labelCount++] = n;
    this.labelBytes[this.labelCount++] = v;
  }
}

const EMPTY = new Float64Array(0);
const NO_LABELS: Labels = [];

/** A string field's bytes, or none for "" (left out as a default). */
function stringFieldSize(n: number): number {
  return n === 0 ? 0 : delimitedSize(n);
}

/** A Sample's size: the value unless +0, the timestamp unless 0. */
function sampleSize(t: number, v: number): number {
  return (isPositiveZero(v) ? 0 : 9) + (t === 0 ? 0 : 1 + int64Size(t));
}

function isPositiveZero(v: number): boolean {
  return v === 0 && 1 / v > 0;
}

/** The samples of one series; the buffer already has room for them. */
function writeSamples(w: ProtoWriter, timesMs: Float64Array, values: Float64Array, count: number) {
  // The value's bytes are copied from the caller's array rather than written
  // from a JS number, so NaN payloads (Prometheus's stale marker) stay exact.
  // Float64Array is little-endian on every platform Node runs on, as protobuf's double is.
  const valueBytes = new Uint8Array(values.buffer, values.byteOffset, count * 8);
  for (let i = 0; i < count; i++) {
    const t = timesMs[i];
    const v = values[i];
    const hasValue = !isPositiveZero(v);
    w.varint(KEY_SAMPLES);
    w.varint((hasValue ? 9 : 0) + (t === 0 ? 0 : 1 + int64Size(t)));
    if (hasValue) {
      const buf = w.buf;
      let p = w.pos;
      buf[p++] = KEY_SAMPLE_VALUE;
      for (let j = i * 8, e = j + 8; j < e; j++) buf[p++] = valueBytes[j];
      w.pos = p;
    }
    if (t !== 0) {
      w.varint(KEY_SAMPLE_TIME);
      w.int64(t);
    }
  }
}
