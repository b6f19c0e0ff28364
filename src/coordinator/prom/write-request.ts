// Prometheus remote write 1.0's WriteRequest (prompb/types.proto), read
// straight from the protobuf wire bytes into columns that are reused from
// one request to the next: per series the range of its labels and samples,
// per label the byte ranges of its name and value in the body, per sample
// its time and value. No object is made per series, label or sample; label
// bytes stay in the body so that known series are found from their bytes.
//
// Fields read (field number: wire type):
//   WriteRequest    1 timeseries (message), 3 metadata (message)
//   TimeSeries      1 labels, 2 samples, 3 exemplars (counted), 4 histograms (counted)
//   Label           1 name (bytes), 2 value (bytes)
//   Sample          1 value (double), 2 timestamp (int64, ms)
//   MetricMetadata  1 type (enum), 2 metric_family_name, 4 help, 5 unit (bytes)
// Anything else is skipped, as protobuf readers must.
import { BYTES, FIXED64, M3tsError, ProtoReader, VARINT } from "../../x/index.js";

/** Bytes that are not a WriteRequest; `offset` is where reading failed. */
export class WriteRequestFormatError extends M3tsError {
  readonly offset: number;

  constructor(offset: number, what: string) {
    super("M3TS_ERR_WRITE_REQUEST_FORMAT", `remote write request: ${what} at byte ${offset}`);
    this.offset = offset;
  }
}

/** A decoded WriteRequest. Arrays grow as needed and are kept for the next request. */
export class WriteRequestColumns {
  /** Series, labels and samples in the last request decoded. */
  series = 0;
  labels = 0;
  samples = 0;
  /** Entries decoded but not kept: exemplars, native histograms. */
  exemplars = 0;
  histograms = 0;
  /** Metadata messages received (2.0: series whose metadata names a type, help or unit). */
  metadata = 0;
  /** Metadata entries kept in the meta* columns (2.0 keeps those of series with a metric name). */
  metaEntries = 0;
  /**
   * Per metadata entry: its type (the enum value, the same in 1.0 and 2.0), and where its
   * metric family name, help and unit are in the body (2.0: the family is the series'
   * __name__ value, help and unit the symbols their refs point at).
   */
  metaType = new Int32Array(64);
  metaFamilyAt = new Int32Array(64);
  metaFamilyLen = new Int32Array(64);
  metaHelpAt = new Int32Array(64);
  metaHelpLen = new Int32Array(64);
  metaUnitAt = new Int32Array(64);
  metaUnitLen = new Int32Array(64);
  /** Per series: index of its first label and sample, and how many. */
  labelStart = new Int32Array(256);
  labelCount = new Int32Array(256);
  sampleStart = new Int32Array(256);
  sampleCount = new Int32Array(256);
  /**
   * Per series: the byte range of its label fields when they are one run
   * (as senders write them: all labels, then the samples), else -1. Equal
   * label sets sent by one sender have equal runs, so a known series is
   * found from this range alone.
   */
  labelsFrom = new Int32Array(256);
  labelsTo = new Int32Array(256);
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
    this.metaEntries = 0;
  }

  addMetadata(): number {
    if (this.metaEntries === this.metaType.length) {
      const n = this.metaEntries * 2;
      this.metaType = grow32(this.metaType, n);
      this.metaFamilyAt = grow32(this.metaFamilyAt, n);
      this.metaFamilyLen = grow32(this.metaFamilyLen, n);
      this.metaHelpAt = grow32(this.metaHelpAt, n);
      this.metaHelpLen = grow32(this.metaHelpLen, n);
      this.metaUnitAt = grow32(this.metaUnitAt, n);
      this.metaUnitLen = grow32(this.metaUnitLen, n);
    }
    const m = this.metaEntries++;
    this.metaType[m] = 0;
    this.metaFamilyAt[m] = 0;
    this.metaFamilyLen[m] = 0;
    this.metaHelpAt[m] = 0;
    this.metaHelpLen[m] = 0;
    this.metaUnitAt[m] = 0;
    this.metaUnitLen[m] = 0;
    return m;
  }

  addSeries(): number {
    if (this.series === this.labelStart.length) {
      const n = this.series * 2;
      this.labelStart = grow32(this.labelStart, n);
      this.labelCount = grow32(this.labelCount, n);
      this.sampleStart = grow32(this.sampleStart, n);
      this.sampleCount = grow32(this.sampleCount, n);
      this.labelsFrom = grow32(this.labelsFrom, n);
      this.labelsTo = grow32(this.labelsTo, n);
    }
    const s = this.series++;
    this.labelStart[s] = this.labels;
    this.labelCount[s] = 0;
    this.sampleStart[s] = this.samples;
    this.sampleCount[s] = 0;
    this.labelsFrom[s] = -1;
    this.labelsTo[s] = -1;
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

const wire = new ProtoReader((offset, what) => new WriteRequestFormatError(offset, what));

/**
 * Decodes a WriteRequest (uncompressed protobuf) into `out`, replacing what
 * it held. Throws WriteRequestFormatError naming the byte where the bytes
 * stop being one.
 */
export function decodeWriteRequest(
  body: Uint8Array,
  out: WriteRequestColumns,
  lazyLabels = false,
): void {
  out.reset();
  lazy = lazyLabels;
  wire.reset(body);
  try {
    request(out, body.length);
  } finally {
    // Do not keep the body alive until the next request.
    wire.reset(EMPTY);
  }
}

const EMPTY = new Uint8Array(0);
/** When set, labels whose fields form one run are left unparsed (labelCount -1) until decodeLabels. */
let lazy = false;

/**
 * Parses the labels of series `s` of a request decoded with lazyLabels, if
 * they are not parsed yet. Only series the cache has not seen need them.
 */
export function decodeLabels(body: Uint8Array, out: WriteRequestColumns, s: number): void {
  if (out.labelCount[s] >= 0) return;
  wire.reset(body);
  try {
    labelsIn(out, s, out.labelsFrom[s], out.labelsTo[s]);
  } finally {
    wire.reset(EMPTY);
  }
}

/** Parses the label fields found in [from, to) of a series' message as its labels. */
function labelsIn(out: WriteRequestColumns, s: number, from: number, to: number): void {
  out.labelStart[s] = out.labels;
  out.labelCount[s] = 0;
  wire.pos = from;
  while (wire.pos < to) {
    wire.key(to);
    if (wire.field === 1 && wire.type === BYTES) {
      const stop = wire.lengthOf(to, "label");
      label(out, stop);
      out.labelCount[s]++;
    } else wire.skip(wire.type, to);
  }
}

function request(out: WriteRequestColumns, end: number): void {
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === BYTES) {
      const stop = wire.lengthOf(end, "timeseries");
      timeSeries(out, stop);
    } else if (field === 3 && type === BYTES) {
      const stop = wire.lengthOf(end, "metadata");
      metricMetadata(out, stop);
      out.metadata++;
    } else wire.skip(type, end);
  }
}

function timeSeries(out: WriteRequestColumns, end: number): void {
  const s = out.addSeries();
  const messageAt = wire.pos;
  if (lazy) out.labelCount[s] = -1;
  // 0: no label yet, 1: in the run of labels, 2: run ended, 3: labels not in one run.
  let run = 0;
  while (wire.pos < end) {
    const keyAt = wire.pos;
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === BYTES) {
      const stop = wire.lengthOf(end, "label");
      if (lazy) wire.pos = stop;
      else {
        label(out, stop);
        out.labelCount[s]++;
      }
      if (run === 0) {
        out.labelsFrom[s] = keyAt;
        run = 1;
      } else if (run === 2) run = 3;
      out.labelsTo[s] = stop;
      continue;
    }
    if (run === 1) run = 2;
    if (field === 2 && type === BYTES) {
      const stop = wire.lengthOf(end, "sample");
      sample(out, stop);
      out.sampleCount[s]++;
    } else if (field === 3 && type === BYTES) {
      wire.pos = wire.lengthOf(end, "exemplar");
      out.exemplars++;
    } else if (field === 4 && type === BYTES) {
      wire.pos = wire.lengthOf(end, "histogram");
      out.histograms++;
    } else wire.skip(type, end);
  }
  if (run === 3) {
    out.labelsFrom[s] = -1;
    out.labelsTo[s] = -1;
    if (lazy) {
      // Labels split by other fields: parse them now, from the whole message.
      labelsIn(out, s, messageAt, end);
      wire.pos = end;
    }
  } else if (lazy && run === 0) {
    out.labelCount[s] = 0;
  }
}

function label(out: WriteRequestColumns, end: number): void {
  const l = out.addLabel();
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if ((field === 1 || field === 2) && type === BYTES) {
      const stop = wire.lengthOf(end, field === 1 ? "label name" : "label value");
      const at = wire.pos;
      if (field === 1) {
        out.nameAt[l] = at;
        out.nameLen[l] = stop - at;
      } else {
        out.valueAt[l] = at;
        out.valueLen[l] = stop - at;
      }
      wire.pos = stop;
    } else wire.skip(type, end);
  }
}

/** Reads a MetricMetadata into the next metadata entry; a repeated field's last value wins. */
function metricMetadata(out: WriteRequestColumns, end: number): void {
  const m = out.addMetadata();
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === VARINT) {
      wire.varint(end);
      // An enum value past int32 is no type any version defines.
      out.metaType[m] = wire.hi === 0 && wire.lo <= 0x7fffffff ? wire.lo : -1;
    } else if ((field === 2 || field === 4 || field === 5) && type === BYTES) {
      const stop = wire.lengthOf(
        end,
        field === 2 ? "metric_family_name" : field === 4 ? "help" : "unit",
      );
      const from = wire.pos;
      if (field === 2) {
        out.metaFamilyAt[m] = from;
        out.metaFamilyLen[m] = stop - from;
      } else if (field === 4) {
        out.metaHelpAt[m] = from;
        out.metaHelpLen[m] = stop - from;
      } else {
        out.metaUnitAt[m] = from;
        out.metaUnitLen[m] = stop - from;
      }
      wire.pos = stop;
    } else wire.skip(type, end);
  }
}

function sample(out: WriteRequestColumns, end: number): void {
  readSample(wire, out, end);
}

/** Reads a Sample (1 value: double, 2 timestamp: int64 ms; the same in 1.0 and 2.0) into the next sample column. */
export function readSample(wire: ProtoReader, out: WriteRequestColumns, end: number): void {
  const i = out.addSample();
  while (wire.pos < end) {
    const at = wire.pos;
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === FIXED64) {
      if (wire.pos + 8 > end) throw new WriteRequestFormatError(at, "sample value cut short");
      // DataView keeps a NaN's payload (the stale marker) bit for bit.
      out.values[i] = wire.view.getFloat64(wire.pos, true);
      wire.pos += 8;
    } else if (field === 2 && type === VARINT) {
      wire.varint(end);
      out.timesMs[i] = wire.int64(at, "sample timestamp");
    } else wire.skip(type, end);
  }
}
