// Remote write request encoders for tests and benchmarks: the 1.0 WriteRequest and the 2.0
// Request with its symbol table, as uncompressed protobuf (callers snappy-compress).
//
// The bytes are what a proto3 sender writes: zero values, zero timestamps and empty strings
// are left out, every length is a minimal varint, and 2.0 series always carry a (possibly
// empty) metadata message as Prometheus's generated code does. Every size is computed in a
// first pass into typed arrays, then the bytes are written once into one buffer of that size,
// so 100 000 series encode in well under a second.
import { delimitedSize, int64Size, ProtoWriter, utf8Size, varintSize } from "../wire/index.js";

export interface TestSeries {
  labels: [string, string][];
  /** Integer milliseconds since the epoch; negative ones are allowed. */
  timesMs: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface EncodeOptions {
  version?: "1.0" | "2.0";
  /** Exemplars per series, to exercise what is accepted and dropped. */
  exemplarsPerSeries?: number;
  /** Native histograms per series (count 1 each), likewise. */
  histogramsPerSeries?: number;
  /** One metadata entry (type gauge) per series: 1.0 request-level, 2.0 inside each series. */
  metadata?: boolean;
}

// Field numbers (prompb/types.proto and prompb/io/prometheus/write/v2/types.proto).
const V1_TIMESERIES = 1;
const V1_METADATA = 3;
const V1_LABELS = 1;
const V1_EXEMPLARS = 3;
const V1_HISTOGRAMS = 4;
const V2_SYMBOLS = 4;
const V2_TIMESERIES = 5;
const V2_LABELS_REFS = 1;
const V2_HISTOGRAMS = 3;
const V2_EXEMPLARS = 4;
const V2_METADATA = 5;
const SAMPLES = 2;
const METRIC_TYPE_GAUGE = 2;
/** Exemplar {value: 1.0}: key and eight bytes of double. */
const EXEMPLAR_BODY = 9;
/** Histogram {count_int: 1}: key and one varint byte. */
const HISTOGRAM_BODY = 2;
/** Metadata {type: gauge} in either version: key and one varint byte. */
const METADATA_BODY = 2;

/** Scratch sizes reused from one call to the next; they only grow. */
let nameSize = new Int32Array(1024);
let valueSize = new Int32Array(1024);
let refs = new Int32Array(2048);
let seriesSize = new Int32Array(256);
let labelsSize = new Int32Array(256);

/** The protobuf bytes of a remote write request holding `series`, labels in the order given. */
export function encodeWriteRequest(
  series: readonly TestSeries[],
  options?: {
    version?: "1.0" | "2.0";
    exemplarsPerSeries?: number;
    histogramsPerSeries?: number;
    metadata?: boolean;
  },
): Uint8Array {
  const o: EncodeOptions = options ?? {};
  const version = o.version ?? "1.0";
  if (version !== "1.0" && version !== "2.0") {
    throw new RangeError(`remote write version ${String(version)} is not 1.0 or 2.0`);
  }
  const exemplars = count(o.exemplarsPerSeries, "exemplarsPerSeries");
  const histograms = count(o.histogramsPerSeries, "histogramsPerSeries");
  const metadata = o.metadata === true;
  if (seriesSize.length < series.length) {
    seriesSize = new Int32Array(series.length);
    labelsSize = new Int32Array(series.length);
  }
  return version === "2.0"
    ? encodeV2(series, exemplars, histograms, metadata)
    : encodeV1(series, exemplars, histograms, metadata);
}

function count(n: number | undefined, what: string): number {
  if (n === undefined) return 0;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} is ${n}: use an integer ≥ 0`);
  return n;
}

function encodeV1(
  series: readonly TestSeries[],
  exemplars: number,
  histograms: number,
  metadata: boolean,
): Uint8Array {
  let labels = 0;
  for (const s of series) labels += s.labels.length;
  ensureLabels(labels);

  // Sizes.
  let total = 0;
  let l = 0;
  for (let k = 0; k < series.length; k++) {
    const s = series[k];
    let size = 0;
    for (const [name, value] of s.labels) {
      nameSize[l] = utf8Size(name);
      valueSize[l] = utf8Size(value);
      size += delimitedSize(labelBody(nameSize[l], valueSize[l]));
      l++;
    }
    size += samplesSize(s);
    size += exemplars * delimitedSize(EXEMPLAR_BODY) + histograms * delimitedSize(HISTOGRAM_BODY);
    seriesSize[k] = size;
    total += delimitedSize(size);
  }
  if (metadata) total += series.length * delimitedSize(METADATA_BODY);

  // Bytes.
  const w = writerFor(total);
  l = 0;
  for (let k = 0; k < series.length; k++) {
    const s = series[k];
    header(w, V1_TIMESERIES, seriesSize[k]);
    for (const [name, value] of s.labels) {
      header(w, V1_LABELS, labelBody(nameSize[l], valueSize[l]));
      if (nameSize[l] > 0) string(w, 1, name, nameSize[l]);
      if (valueSize[l] > 0) string(w, 2, value, valueSize[l]);
      l++;
    }
    writeSamples(w, s);
    for (let e = 0; e < exemplars; e++) exemplar(w, V1_EXEMPLARS);
    for (let h = 0; h < histograms; h++) histogram(w, V1_HISTOGRAMS);
  }
  if (metadata) for (let k = 0; k < series.length; k++) metadataOf(w, V1_METADATA);
  return finish(w, total);
}

function encodeV2(
  series: readonly TestSeries[],
  exemplars: number,
  histograms: number,
  metadata: boolean,
): Uint8Array {
  // The symbol table starts with the empty string, as the 2.0 specification requires.
  const index = new Map<string, number>([["", 0]]);
  const table: string[] = [""];
  let labels = 0;
  for (const s of series) labels += s.labels.length;
  if (refs.length < labels * 2) refs = new Int32Array(labels * 2);

  let r = 0;
  for (let k = 0; k < series.length; k++) {
    let packed = 0;
    for (const [name, value] of series[k].labels) {
      refs[r] = symbol(index, table, name);
      refs[r + 1] = symbol(index, table, value);
      packed += varintSize(refs[r]) + varintSize(refs[r + 1]);
      r += 2;
    }
    labelsSize[k] = packed;
    let size = packed > 0 ? delimitedSize(packed) : 0;
    size += samplesSize(series[k]);
    size += exemplars * delimitedSize(EXEMPLAR_BODY) + histograms * delimitedSize(HISTOGRAM_BODY);
    size += delimitedSize(metadata ? METADATA_BODY : 0);
    seriesSize[k] = size;
  }
  ensureLabels(table.length);
  let total = 0;
  for (let i = 0; i < table.length; i++) {
    nameSize[i] = utf8Size(table[i]);
    total += delimitedSize(nameSize[i]);
  }
  for (let k = 0; k < series.length; k++) total += delimitedSize(seriesSize[k]);

  const w = writerFor(total);
  // Repeated strings are written even when empty: symbol 0 is "".
  for (let i = 0; i < table.length; i++) string(w, V2_SYMBOLS, table[i], nameSize[i]);
  r = 0;
  for (let k = 0; k < series.length; k++) {
    const s = series[k];
    header(w, V2_TIMESERIES, seriesSize[k]);
    if (labelsSize[k] > 0) {
      header(w, V2_LABELS_REFS, labelsSize[k]);
      for (let i = 0; i < s.labels.length * 2; i++) w.varint(refs[r++]);
    }
    writeSamples(w, s);
    for (let h = 0; h < histograms; h++) histogram(w, V2_HISTOGRAMS);
    for (let e = 0; e < exemplars; e++) exemplar(w, V2_EXEMPLARS);
    if (metadata) metadataOf(w, V2_METADATA);
    else header(w, V2_METADATA, 0);
  }
  return finish(w, total);
}

function symbol(index: Map<string, number>, table: string[], s: string): number {
  let ref = index.get(s);
  if (ref === undefined) {
    ref = table.length;
    index.set(s, ref);
    table.push(s);
  }
  return ref;
}

function ensureLabels(n: number): void {
  if (nameSize.length >= n) return;
  nameSize = new Int32Array(n);
  valueSize = new Int32Array(n);
}

/** A label's body: its name and value fields, each left out when empty. */
function labelBody(name: number, value: number): number {
  return (name > 0 ? delimitedSize(name) : 0) + (value > 0 ? delimitedSize(value) : 0);
}

/** A sample's body: value (left out when +0) and timestamp (left out when 0). */
function sampleBody(value: number, timeMs: number): number {
  return (isPositiveZero(value) ? 0 : 9) + (timeMs === 0 ? 0 : 1 + int64Size(timeMs));
}

function isPositiveZero(v: number): boolean {
  return v === 0 && 1 / v > 0;
}

function samplesSize(s: TestSeries): number {
  if (s.timesMs.length !== s.values.length) {
    throw new RangeError(
      `series has ${s.timesMs.length} timestamps and ${s.values.length} values: they must pair up`,
    );
  }
  let size = 0;
  for (let i = 0; i < s.timesMs.length; i++) {
    const t = s.timesMs[i];
    if (!Number.isSafeInteger(t)) {
      throw new RangeError(`sample timestamp ${t} is not an integer number of milliseconds`);
    }
    size += delimitedSize(sampleBody(s.values[i], t));
  }
  return size;
}

function writeSamples(w: ProtoWriter, s: TestSeries): void {
  for (let i = 0; i < s.timesMs.length; i++) {
    const v = s.values[i];
    const t = s.timesMs[i];
    header(w, SAMPLES, sampleBody(v, t));
    if (!isPositiveZero(v)) w.double(1, v);
    if (t !== 0) {
      w.key(2, 0);
      w.int64(t);
    }
  }
}

function exemplar(w: ProtoWriter, field: number): void {
  header(w, field, EXEMPLAR_BODY);
  w.double(2, 1);
}

function histogram(w: ProtoWriter, field: number): void {
  header(w, field, HISTOGRAM_BODY);
  w.key(1, 0);
  w.varint(1);
}

function metadataOf(w: ProtoWriter, field: number): void {
  header(w, field, METADATA_BODY);
  w.key(1, 0);
  w.varint(METRIC_TYPE_GAUGE);
}

/** The key and length of a length-delimited field whose body follows. */
function header(w: ProtoWriter, field: number, length: number): void {
  w.key(field, 2);
  w.varint(length);
}

/** A string field; ASCII is copied byte by byte, which beats TextEncoder on short strings. */
function string(w: ProtoWriter, field: number, s: string, size: number): void {
  if (size !== s.length) {
    w.stringField(field, s, size);
    return;
  }
  header(w, field, size);
  const buf = w.buf;
  let pos = w.pos;
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  w.pos = pos;
}

/** ProtoWriter reserves ten bytes before each varint, so the buffer has that much to spare. */
const SLACK = 10;

function writerFor(total: number): ProtoWriter {
  return new ProtoWriter(total + SLACK);
}

function finish(w: ProtoWriter, total: number): Uint8Array {
  // The first pass and the second must agree byte for byte, with no growth in between.
  if (w.pos !== total || w.buf.length !== total + SLACK) {
    throw new Error(`encoder wrote ${w.pos} bytes into ${w.buf.length}, sized ${total}`);
  }
  return w.buf.subarray(0, total);
}
