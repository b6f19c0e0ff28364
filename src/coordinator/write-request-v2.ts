// Prometheus remote write 2.0's Request (io.prometheus.write.v2, prompb/io/
// prometheus/write/v2/types.proto), decoded into the same columns as 1.0:
// each label's name and value become the byte ranges of the symbols its refs
// point at, so series are found from their bytes exactly as for 1.0.
//
// Fields read (number: wire type):
//   Request     4 symbols (bytes), 5 timeseries (message)
//   TimeSeries  1 labels_refs (packed uint32, or unpacked), 2 samples,
//               3 histograms (counted), 4 exemplars (counted), 5 metadata
//               (counted when it says anything)
//   Sample      1 value (double), 2 timestamp (int64 ms)
// The symbol table may come before or after the series: refs are kept as
// numbers in a first pass and turned into byte ranges once every symbol is
// known.
import { BYTES, FIXED64, ProtoReader, VARINT } from "./proto-reader.js";
import { type WriteRequestColumns, WriteRequestFormatError } from "./write-request.js";

const wire = new ProtoReader((offset, what) => new WriteRequestFormatError(offset, what));
const EMPTY = new Uint8Array(0);

/** Symbol table of the request being decoded: where each symbol's bytes are. */
let symbolAt = new Int32Array(1024);
let symbolLen = new Int32Array(1024);
let symbols = 0;
/** Where each label's refs were read, for errors found when they are resolved. */
let refAt = new Int32Array(1024);

/** Decodes a v2 Request (uncompressed protobuf) into `out`, replacing what it held. */
export function decodeWriteRequestV2(body: Uint8Array, out: WriteRequestColumns): void {
  out.reset();
  symbols = 0;
  wire.reset(body);
  try {
    const end = body.length;
    while (wire.pos < end) {
      wire.key(end);
      if (wire.field === 4 && wire.type === BYTES) {
        const stop = wire.lengthOf(end, "symbol");
        addSymbol(wire.pos, stop - wire.pos);
        wire.pos = stop;
      } else if (wire.field === 5 && wire.type === BYTES) {
        const stop = wire.lengthOf(end, "timeseries");
        timeSeries(out, stop);
      } else wire.skip(wire.type, end);
    }
    resolveRefs(out);
  } finally {
    wire.reset(EMPTY);
  }
}

function addSymbol(at: number, len: number): void {
  if (symbols === symbolAt.length) {
    symbolAt = grow32(symbolAt);
    symbolLen = grow32(symbolLen);
  }
  symbolAt[symbols] = at;
  symbolLen[symbols] = len;
  symbols++;
}

function timeSeries(out: WriteRequestColumns, end: number): void {
  const s = out.addSeries();
  let refs = 0;
  while (wire.pos < end) {
    wire.key(end);
    const { field, type } = wire;
    if (field === 1 && type === BYTES) {
      const stop = wire.lengthOf(end, "labels_refs");
      while (wire.pos < stop) refs = addRef(out, s, refs, stop);
    } else if (field === 1 && type === VARINT) {
      refs = addRef(out, s, refs, end);
    } else if (field === 2 && type === BYTES) {
      const stop = wire.lengthOf(end, "sample");
      sample(out, stop);
      out.sampleCount[s]++;
    } else if (field === 3 && type === BYTES) {
      wire.pos = wire.lengthOf(end, "histogram");
      out.histograms++;
    } else if (field === 4 && type === BYTES) {
      wire.pos = wire.lengthOf(end, "exemplar");
      out.exemplars++;
    } else if (field === 5 && type === BYTES) {
      const stop = wire.lengthOf(end, "metadata");
      if (stop > wire.pos) out.metadata++;
      wire.pos = stop;
    } else wire.skip(type, end);
  }
  if (refs % 2 !== 0) {
    throw new WriteRequestFormatError(end, `series ${s} has an odd number of label refs (${refs})`);
  }
}

/** Reads one ref: even refs are names, odd ones values; each pair is one label. */
function addRef(out: WriteRequestColumns, s: number, refs: number, end: number): number {
  const at = wire.pos;
  wire.varint(end);
  if (wire.hi !== 0 || wire.lo > 0x7fffffff)
    throw new WriteRequestFormatError(at, "label ref beyond 2^31");
  if (refs % 2 === 0) {
    const l = out.addLabel();
    if (l >= refAt.length) refAt = grow32(refAt);
    refAt[l] = at;
    out.nameAt[l] = wire.lo;
    out.labelCount[s]++;
  } else {
    out.valueAt[out.labels - 1] = wire.lo;
  }
  return refs + 1;
}

function sample(out: WriteRequestColumns, end: number): void {
  const i = out.addSample();
  while (wire.pos < end) {
    const at = wire.pos;
    wire.key(end);
    if (wire.field === 1 && wire.type === FIXED64) {
      if (wire.pos + 8 > end) throw new WriteRequestFormatError(at, "sample value cut short");
      out.values[i] = wire.view.getFloat64(wire.pos, true);
      wire.pos += 8;
    } else if (wire.field === 2 && wire.type === VARINT) {
      wire.varint(end);
      out.timesMs[i] = wire.int64(at, "sample timestamp");
    } else wire.skip(wire.type, end);
  }
}

/** Turns the refs kept in nameAt/valueAt into the symbols' byte ranges. */
function resolveRefs(out: WriteRequestColumns): void {
  if (out.labels > 0 && (symbols === 0 || symbolLen[0] !== 0)) {
    throw new WriteRequestFormatError(0, "the symbol table must start with the empty string");
  }
  for (let l = 0; l < out.labels; l++) {
    const name = out.nameAt[l];
    const value = out.valueAt[l];
    if (name >= symbols || value >= symbols) {
      throw new WriteRequestFormatError(
        refAt[l],
        `label ref ${Math.max(name, value)} is outside the symbol table of ${symbols} symbols`,
      );
    }
    out.nameAt[l] = symbolAt[name];
    out.nameLen[l] = symbolLen[name];
    out.valueAt[l] = symbolAt[value];
    out.valueLen[l] = symbolLen[value];
  }
}

function grow32(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
