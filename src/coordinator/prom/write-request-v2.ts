// Prometheus remote write 2.0's Request (io.prometheus.write.v2, prompb/io/prometheus/write/
// v2/types.proto), decoded into the same columns as 1.0: each label's name and value become
// the byte ranges of the symbols its refs point at, so series are found from their bytes
// exactly as for 1.0, and no string is built.
//
// Fields read (number: wire type):
//   Request     4 symbols (bytes), 5 timeseries (message); 1 to 3 are reserved
//   TimeSeries  1 labels_refs (packed uint32, or one varint per ref), 2 samples,
//               3 histograms (counted), 4 exemplars (counted), 5 metadata (counted
//               once per series when it names a type, help or unit)
//   Sample      1 value (double), 2 timestamp (int64 ms)
//   Metadata    1 type (enum), 3 help_ref, 4 unit_ref (uint32)
// A series' metadata that names something becomes a metadata entry whose family is the
// series' __name__ value; one without a metric name, or whose help or unit ref is outside
// the symbol table, is counted and not kept (the samples are written all the same).
// Anything else (Sample 3 start_timestamp, TimeSeries 6 created_timestamp of earlier drafts)
// is skipped, as protobuf readers must.
//
// The symbol table may come before, after or between the series: a label's refs are kept
// in nameAt/valueAt while reading, and turned into byte ranges once every symbol is known.
import { BYTES, ProtoReader, VARINT } from "../../x/index.js";
import { readSample, type WriteRequestColumns, WriteRequestFormatError } from "./write-request.js";

const wire = new ProtoReader((offset, what) => new WriteRequestFormatError(offset, what));
const EMPTY = new Uint8Array(0);

// Scratch kept from one request to the next; each array only grows, to the size of the
// largest request seen, which the body size limit bounds.
/** The symbol table of the request being decoded: where each symbol's bytes are. */
let symbolAt = new Int32Array(1024);
let symbolLen = new Int32Array(1024);
let symbols = 0;
/** Where symbol 0's field starts, to point at it if it is not empty. */
let symbol0At = 0;
/** Per label: where its name ref was read, for errors found when refs are resolved. */
let refAt = new Int32Array(1024);
/** Per metadata entry: the series it belongs to, until refs are resolved. */
let metaSeries = new Int32Array(64);
/** The Metadata fields of the series being read; on the wire, the last value of a field wins. */
let metaType = 0;
let metaHelp = 0;
let metaUnit = 0;
const NAME = new TextEncoder().encode("__name__");

/**
 * Decodes a v2 Request (uncompressed protobuf) into `out`, replacing what it held. Throws
 * WriteRequestFormatError naming the byte where the bytes stop being a valid Request.
 */
export function decodeWriteRequestV2(body: Uint8Array, out: WriteRequestColumns): void {
  out.reset();
  symbols = 0;
  wire.reset(body);
  try {
    const end = body.length;
    while (wire.pos < end) {
      const at = wire.pos;
      wire.key(end);
      const field = wire.field;
      const type = wire.type;
      if (field === 4 && type === BYTES) {
        const stop = wire.lengthOf(end, "symbol");
        if (symbols === 0) symbol0At = at;
        addSymbol(wire.pos, stop - wire.pos);
        wire.pos = stop;
      } else if (field === 5 && type === BYTES) {
        const stop = wire.lengthOf(end, "timeseries");
        timeSeries(out, at, stop);
      } else wire.skip(type, end);
    }
    resolveRefs(out);
  } finally {
    // Do not keep the body alive until the next request.
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

function timeSeries(out: WriteRequestColumns, at: number, end: number): void {
  const s = out.addSeries();
  let refs = 0;
  let described = false;
  metaType = 0;
  metaHelp = 0;
  metaUnit = 0;
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if (field === 1 && type === BYTES) {
      // Packed; a sender may split the list into several runs, which protobuf concatenates.
      const stop = wire.lengthOf(end, "labels_refs");
      while (wire.pos < stop) refs = addRef(out, s, refs, stop);
    } else if (field === 1 && type === VARINT) {
      refs = addRef(out, s, refs, end);
    } else if (field === 2 && type === BYTES) {
      const stop = wire.lengthOf(end, "sample");
      readSample(wire, out, stop);
      out.sampleCount[s]++;
    } else if (field === 3 && type === BYTES) {
      wire.pos = wire.lengthOf(end, "histogram");
      out.histograms++;
    } else if (field === 4 && type === BYTES) {
      wire.pos = wire.lengthOf(end, "exemplar");
      out.exemplars++;
    } else if (field === 5 && type === BYTES) {
      // Senders write this message for every series, mostly empty; only one that says
      // something counts, and a repeated one merges into the first as protobuf defines.
      const stop = wire.lengthOf(end, "metadata");
      if (metadata(stop)) described = true;
    } else wire.skip(type, end);
  }
  if (refs % 2 !== 0) {
    throw new WriteRequestFormatError(
      at,
      `series ${s} has ${refs} label refs; refs come in name and value pairs, so their number must be even`,
    );
  }
  if (described) {
    out.metadata++;
    const m = out.addMetadata();
    if (m === metaSeries.length) metaSeries = grow32(metaSeries);
    metaSeries[m] = s;
    out.metaType[m] = metaType;
    // Refs for now; resolveRefs turns them into byte ranges.
    out.metaHelpAt[m] = metaHelp;
    out.metaUnitAt[m] = metaUnit;
  }
}

/** Reads one ref: even ones are names, odd ones values; each pair is one label. */
function addRef(out: WriteRequestColumns, s: number, refs: number, end: number): number {
  const at = wire.pos;
  wire.varint(end);
  if (wire.hi !== 0 || wire.lo > 0x7fffffff) {
    throw new WriteRequestFormatError(
      at,
      `label ref ${wire.value < 0 ? "beyond 2^53" : wire.value} is beyond 2^31 - 1, more symbols than a request can hold`,
    );
  }
  if (refs % 2 === 0) {
    const l = out.addLabel();
    if (l === refAt.length) refAt = grow32(refAt);
    refAt[l] = at;
    out.nameAt[l] = wire.lo;
    out.valueAt[l] = -1;
    out.labelCount[s]++;
  } else {
    out.valueAt[out.labels - 1] = wire.lo;
  }
  return refs + 1;
}

/**
 * Reads a Metadata message into metaType, metaHelp and metaUnit; true when it names a type,
 * a help text or a unit. A value past 2^31 - 1 is kept as -1: no type, and no symbol.
 */
function metadata(end: number): boolean {
  let says = false;
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    const type = wire.type;
    if ((field === 1 || field === 3 || field === 4) && type === VARINT) {
      wire.varint(end);
      if (wire.lo !== 0 || wire.hi !== 0) says = true;
      const v = wire.hi === 0 && wire.lo <= 0x7fffffff ? wire.lo : -1;
      if (field === 1) metaType = v;
      else if (field === 3) metaHelp = v;
      else metaUnit = v;
    } else wire.skip(type, end);
  }
  return says;
}

/** Turns the refs kept in nameAt/valueAt into the symbols' byte ranges. */
function resolveRefs(out: WriteRequestColumns): void {
  if (symbols > 0 && symbolLen[0] !== 0) {
    throw new WriteRequestFormatError(
      symbol0At,
      `symbol 0 is ${symbolLen[0]} bytes long; the symbol table must start with the empty string`,
    );
  }
  for (let l = 0; l < out.labels; l++) {
    const name = out.nameAt[l];
    const value = out.valueAt[l];
    const bad = name >= symbols ? name : value >= symbols ? value : -1;
    if (bad >= 0) {
      throw new WriteRequestFormatError(
        refAt[l],
        `label ref ${bad} is outside the symbol table; the request has ${symbols} symbols, so refs must be below ${symbols}`,
      );
    }
    out.nameAt[l] = symbolAt[name];
    out.nameLen[l] = symbolLen[name];
    out.valueAt[l] = symbolAt[value];
    out.valueLen[l] = symbolLen[value];
  }
  resolveMetadata(out);
}

/** Turns the metadata entries' refs into byte ranges and finds their families; drops the unusable. */
function resolveMetadata(out: WriteRequestColumns): void {
  const bytes = wire.bytes;
  let kept = 0;
  for (let m = 0; m < out.metaEntries; m++) {
    const help = out.metaHelpAt[m];
    const unit = out.metaUnitAt[m];
    if (help < 0 || help >= symbols || unit < 0 || unit >= symbols) continue;
    const s = metaSeries[m];
    const first = out.labelStart[s];
    const last = first + out.labelCount[s];
    let name = -1;
    for (let l = first; l < last && name < 0; l++) {
      if (out.nameLen[l] === NAME.length && equalAt(bytes, out.nameAt[l], NAME)) name = l;
    }
    if (name < 0 || out.valueLen[name] === 0) continue;
    out.metaType[kept] = out.metaType[m];
    out.metaFamilyAt[kept] = out.valueAt[name];
    out.metaFamilyLen[kept] = out.valueLen[name];
    out.metaHelpAt[kept] = symbolAt[help];
    out.metaHelpLen[kept] = symbolLen[help];
    out.metaUnitAt[kept] = symbolAt[unit];
    out.metaUnitLen[kept] = symbolLen[unit];
    kept++;
  }
  out.metaEntries = kept;
}

function equalAt(bytes: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (bytes[at + i] !== want[i]) return false;
  return true;
}

function grow32(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
