// Remote write request encoders for tests and benchmarks: the 1.0 WriteRequest and the 2.0
// Request with its symbol table, as uncompressed protobuf (callers snappy-compress).
//
// The bytes are what a proto3 sender writes: zero values, zero timestamps and empty strings
// are left out, every length is a minimal varint, and 2.0 series always carry a (possibly
// empty) metadata message as Prometheus's generated code does. Every size is computed in a
// first pass into typed arrays, then the bytes are written once into one buffer of that size,
// so 100 000 series encode in well under a second.
import { delimitedSize, int64Size, ProtoWriter, utf8Size, varintSize } from "../../x/index.js";

export interface TestSeries {
  labels: [string, string][];
  /** Integer milliseconds since the epoch; negative ones are allowed. */
  timesMs: ArrayLike<number>;
  values: ArrayLike<number>;
  /**
   * The series' metric metadata: in 2.0 inside the series (help and unit as symbols), in
   * 1.0 a request-level MetricMetadata after the series, its family the series' __name__
   * unless `family` names it.
   */
  metadata?: TestMetadata;
}

/** Metric metadata as remote write carries it; empty strings and type 0 are left out. */
export interface TestMetadata {
  /** The enum value (0 unknown/unspecified, 1 counter, 2 gauge, 3 histogram, ... 7 stateset). */
  type: number;
  help?: string;
  unit?: string;
  /** 1.0's metric_family_name; 2.0 has none (its family is the series' name). */
  family?: string;
}

export interface EncodeOptions {
  version?: "1.0" | "2.0";
  /** Exemplars per series, to exercise what is accepted and dropped. */
  exemplarsPerSeries?: number;
  /** Native histograms per series (count 1 each), likewise. */
  histogramsPerSeries?: number;
  /**
   * One metadata entry (type gauge) per series without metadata of its own: 1.0
   * request-level, 2.0 inside each series.
   */
  metadata?: boolean;
  /**
   * 1.0 only: request-level MetricMetadata entries after those of the series, as
   * Prometheus's sender writes them in requests of their own (then `series` is empty).
   */
  familyMetadata?: readonly TestMetadata[];
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
  options?: EncodeOptions,
): Uint8Array {
  const o: EncodeOptions = options ?? {};
  const version = o.version ?? "1.0";
  if (version !== "1.0" && version !== "2.0") {
    throw new RangeError(`remote write version ${String(version)} is not 1.0 or 2.0`);
  }
  const exemplars = count(o.exemplarsPerSeries, "exemplarsPerSeries");
  const histograms = count(o.histogramsPerSeries, "histogramsPerSeries");
  const metadata = o.metadata === true;
  if (version === "2.0" && o.familyMetadata !== undefined) {
    throw new RangeError("familyMetadata is request-level metadata, which only 1.0 has");
  }
  for (const s of series) if (s.metadata !== undefined) checkMetadata(s.metadata);
  for (const m of o.familyMetadata ?? []) checkMetadata(m);
  if (seriesSize.length < series.length) {
    seriesSize = new Int32Array(series.length);
    labelsSize = new Int32Array(series.length);
  }
  return version === "2.0"
    ? encodeV2(series, exemplars, histograms, metadata)
    : encodeV1(series, exemplars, histograms, metadata, o.familyMetadata ?? []);
}

function checkMetadata(m: TestMetadata): void {
  if (!Number.isInteger(m.type) || m.type < 0 || m.type > 0x7fffffff) {
    throw new RangeError(`metadata type ${m.type} is not an enum value (an integer ≥ 0)`);
  }
}

/** A 1.0 MetricMetadata's fields, sizes computed. */
interface V1Metadata {
  type: number;
  family: string;
  familySize: number;
  help: string;
  helpSize: number;
  unit: string;
  unitSize: number;
  size: number;
}

function v1Metadata(m: TestMetadata, family: string): V1Metadata {
  const help = m.help ?? "";
  const unit = m.unit ?? "";
  const e = {
    type: m.type,
    family,
    familySize: utf8Size(family),
    help,
    helpSize: utf8Size(help),
    unit,
    unitSize: utf8Size(unit),
    size: 0,
  };
  e.size =
    (e.type === 0 ? 0 : 1 + varintSize(e.type)) +
    (e.familySize > 0 ? delimitedSize(e.familySize) : 0) +
    (e.helpSize > 0 ? delimitedSize(e.helpSize) : 0) +
    (e.unitSize > 0 ? delimitedSize(e.unitSize) : 0);
  return e;
}

function nameOf(s: TestSeries): string {
  for (const [name, value] of s.labels) if (name === "__name__") return value;
  return "";
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
  familyMetadata: readonly TestMetadata[],
): Uint8Array {
  let labels = 0;
  for (const s of series) labels += s.labels.length;
  ensureLabels(labels);
  const entries: V1Metadata[] = [];
  for (const s of series) {
    if (s.metadata !== undefined)
      entries.push(v1Metadata(s.metadata, s.metadata.family ?? nameOf(s)));
  }
  for (const m of familyMetadata) entries.push(v1Metadata(m, m.family ?? ""));

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
  let plain = 0;
  if (metadata) for (const s of series) if (s.metadata === undefined) plain++;
  total += plain * delimitedSize(METADATA_BODY);
  for (const e of entries) total += delimitedSize(e.size);

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
  for (let k = 0; k < plain; k++) metadataOf(w, V1_METADATA);
  for (const e of entries) {
    header(w, V1_METADATA, e.size);
    if (e.type !== 0) {
      w.key(1, 0);
      w.varint(e.type);
    }
    if (e.familySize > 0) string(w, 2, e.family, e.familySize);
    if (e.helpSize > 0) string(w, 4, e.help, e.helpSize);
    if (e.unitSize > 0) string(w, 5, e.unit, e.unitSize);
  }
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

  // Per series with metadata of its own: its Metadata body size, help ref and unit ref.
  const meta: { size: number; help: number; unit: number }[] = [];
  let r = 0;
  for (let k = 0; k < series.length; k++) {
    const m = series[k].metadata;
    if (m !== undefined) {
      const help = symbol(index, table, m.help ?? "");
      const unit = symbol(index, table, m.unit ?? "");
      const size =
        (m.type === 0 ? 0 : 1 + varintSize(m.type)) +
        (help === 0 ? 0 : 1 + varintSize(help)) +
        (unit === 0 ? 0 : 1 + varintSize(unit));
      meta[k] = { size, help, unit };
    }
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
    size += delimitedSize(meta[k] !== undefined ? meta[k].size : metadata ? METADATA_BODY : 0);
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
    const m = meta[k];
    if (m !== undefined) {
      const type = s.metadata?.type ?? 0;
      header(w, V2_METADATA, m.size);
      if (type !== 0) {
        w.key(1, 0);
        w.varint(type);
      }
      if (m.help !== 0) {
        w.key(3, 0);
        w.varint(m.help);
      }
      if (m.unit !== 0) {
        w.key(4, 0);
        w.varint(m.unit);
      }
    } else if (metadata) metadataOf(w, V2_METADATA);
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
