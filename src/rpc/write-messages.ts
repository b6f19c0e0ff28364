// WriteBatch's request and response (node.proto): a WriteBatch's columns as
// bytes fields, its series as repeated strings and blobs, and the answer's
// per-datapoint refusals as (index, code, message).
import type { WriteBatch } from "../dbnode/ts/index.js";
import { BYTES, type ProtoReader, ProtoWriter, VARINT } from "../x/index.js";
import { RpcMessageError } from "./errors.js";
import {
  checkUint,
  copyOf,
  f64Column,
  nestedEnd,
  readBytes,
  readerFor,
  readString,
  readUint,
  u32Column,
  writeF64Column,
  writeString,
  writeU32Column,
  writeUint,
} from "./wire.js";

export interface WriteBatchRequest {
  namespace: string;
  batch: WriteBatch;
}

/** A refused datapoint as it crosses the wire: its index in the batch and its error's code and message. */
export interface WireWriteError {
  index: number;
  code: string;
  message: string;
}

export interface WriteBatchResponse {
  written: number;
  errors: WireWriteError[];
  refs: Float64Array;
}

const REQUEST = "WriteBatchRequest";
const RESPONSE = "WriteBatchResponse";
const EMPTY = new Uint8Array(0);

export function encodeWriteBatchRequest(req: WriteBatchRequest): Uint8Array {
  const b = req.batch;
  const n = checkUint(b.count, REQUEST, "count");
  const ids = b.seriesIds;
  let guess = 64 + n * 21 + req.namespace.length * 3;
  for (const id of ids) guess += id.length * 3 + 4;
  if (b.seriesTags !== undefined) for (const t of b.seriesTags) guess += (t?.length ?? 0) + 4;
  const w = new ProtoWriter(guess);
  writeString(w, 1, req.namespace);
  writeUint(w, 2, n);
  writeU32Column(w, 3, b.series, n, REQUEST, "series");
  writeF64Column(w, 4, b.timesMs, n);
  writeF64Column(w, 5, b.values, n);
  for (const id of ids) writeString(w, 6, id);
  // One entry per series when the column is given; an empty blob stands for
  // null (M3's tag encoding is never empty: it starts with its magic).
  if (b.seriesTags !== undefined) {
    for (let s = 0; s < ids.length; s++) w.bytesField(7, b.seriesTags[s] ?? EMPTY);
  }
  if (b.seriesRefs !== undefined) {
    const refs = new Float64Array(ids.length).fill(-1);
    for (let s = 0; s < ids.length && s < b.seriesRefs.length; s++) refs[s] = b.seriesRefs[s];
    writeF64Column(w, 8, refs, ids.length);
  }
  if (b.nsInMs !== undefined) writeF64Column(w, 9, b.nsInMs, n);
  if (b.units !== undefined) {
    w.key(10, BYTES);
    w.varint(n);
    w.ensure(n);
    for (let i = 0; i < n; i++) {
      const u = b.units[i];
      if (!(Number.isInteger(u) && u >= 0 && u <= 0xff)) {
        throw new RpcMessageError(REQUEST, `units[${i}] = ${u} is not a time unit`);
      }
      w.buf[w.pos++] = u;
    }
  }
  // An empty annotation is the same as none.
  if (b.annotations !== undefined) {
    for (let i = 0; i < n; i++) w.bytesField(11, b.annotations[i] ?? EMPTY);
  }
  return w.result();
}

export function decodeWriteBatchRequest(bytes: Uint8Array): WriteBatchRequest {
  const r = readerFor(REQUEST);
  r.reset(bytes);
  const end = bytes.length;
  let namespace = "";
  let count = 0;
  let series: Uint32Array = new Uint32Array(0);
  let timesMs: Float64Array = new Float64Array(0);
  let values: Float64Array = new Float64Array(0);
  const seriesIds: string[] = [];
  const tags: (Uint8Array | null)[] = [];
  let refs: Float64Array | undefined;
  let nsInMs: Float64Array | undefined;
  let units: Uint8Array | undefined;
  const annotations: (Uint8Array | null)[] = [];
  // Tags are views into the request: the database copies the tags of the
  // few series it creates and reads the others' only to check them.
  // Annotations are copied out: a datapoint may keep its own.
  while (r.pos < end) {
    r.key(end);
    switch (r.field) {
      case 1:
        namespace = readString(r, end);
        break;
      case 2:
        count = readUint(r, end);
        break;
      case 3:
        series = u32Column(r, readBytes(r, end), "series");
        break;
      case 4:
        timesMs = f64Column(r, readBytes(r, end), "times_ms");
        break;
      case 5:
        values = f64Column(r, readBytes(r, end), "values");
        break;
      case 6:
        seriesIds.push(readString(r, end));
        break;
      case 7: {
        const t = readBytes(r, end);
        tags.push(t.length === 0 ? null : t);
        break;
      }
      case 8:
        refs = f64Column(r, readBytes(r, end), "series_refs");
        break;
      case 9:
        nsInMs = f64Column(r, readBytes(r, end), "ns_in_ms");
        break;
      case 10:
        units = copyOf(readBytes(r, end));
        break;
      case 11: {
        const a = readBytes(r, end);
        annotations.push(a.length === 0 ? null : copyOf(a));
        break;
      }
      default:
        r.skip(r.type, end);
    }
  }
  const short = (what: string, len: number | undefined, want: number) => {
    if (len !== undefined && len !== want) {
      throw r.fail(end, `${what} has ${len} entries, expected ${want}`);
    }
  };
  short("series", series.length, count);
  short("times_ms", timesMs.length, count);
  short("values", values.length, count);
  short("series_tags", tags.length === 0 ? undefined : tags.length, seriesIds.length);
  short("series_refs", refs?.length, seriesIds.length);
  short("ns_in_ms", nsInMs?.length, count);
  short("units", units?.length, count);
  short("annotations", annotations.length === 0 ? undefined : annotations.length, count);
  const batch: WriteBatch = { count, series, timesMs, values, seriesIds };
  if (tags.length > 0) batch.seriesTags = tags;
  if (refs !== undefined) batch.seriesRefs = refs;
  if (nsInMs !== undefined) batch.nsInMs = nsInMs;
  if (units !== undefined) batch.units = units;
  if (annotations.length > 0) batch.annotations = annotations;
  return { namespace, batch };
}

export function encodeWriteBatchResponse(res: WriteBatchResponse): Uint8Array {
  const w = new ProtoWriter(32 + res.refs.length * 8 + res.errors.length * 96);
  writeUint(w, 1, checkUint(res.written, RESPONSE, "written"));
  const inner = new ProtoWriter(256);
  for (const e of res.errors) {
    inner.reset();
    writeUint(inner, 1, checkUint(e.index, RESPONSE, "error index"));
    writeString(inner, 2, e.code);
    writeString(inner, 3, e.message);
    w.key(2, BYTES);
    w.varint(inner.pos);
    w.ensure(inner.pos);
    w.buf.set(inner.buf.subarray(0, inner.pos), w.pos);
    w.pos += inner.pos;
  }
  writeF64Column(w, 3, res.refs, res.refs.length);
  return w.result();
}

export function decodeWriteBatchResponse(bytes: Uint8Array): WriteBatchResponse {
  const r = readerFor(RESPONSE);
  r.reset(bytes);
  const end = bytes.length;
  let written = 0;
  const errors: WireWriteError[] = [];
  let refs: Float64Array = new Float64Array(0);
  while (r.pos < end) {
    r.key(end);
    switch (r.field) {
      case 1:
        written = readUint(r, end);
        break;
      case 2:
        errors.push(readWriteError(r, nestedEnd(r, end)));
        break;
      case 3:
        refs = f64Column(r, readBytes(r, end), "refs");
        break;
      default:
        r.skip(r.type, end);
    }
  }
  return { written, errors, refs };
}

function readWriteError(r: ProtoReader, end: number): WireWriteError {
  const e: WireWriteError = { index: 0, code: "", message: "" };
  while (r.pos < end) {
    r.key(end);
    if (r.field === 1 && r.type === VARINT) e.index = readUint(r, end);
    else if (r.field === 2) e.code = readString(r, end);
    else if (r.field === 3) e.message = readString(r, end);
    else r.skip(r.type, end);
  }
  return e;
}
