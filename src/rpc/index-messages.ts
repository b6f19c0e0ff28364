// The index calls' messages (node.proto): matchers and shard filters shared
// by the fetch, and SeriesTags, LabelNames and LabelValues with their answers.
import { MATCH_TYPES, type Matcher, newMatcher } from "../index/index.js";
import { type ProtoReader, ProtoWriter, utf8Size } from "../x/index.js";
import {
  checkUint,
  copyOf,
  fieldSize,
  nestedEnd,
  readBool,
  readBytes,
  readDouble,
  readerFor,
  readString,
  readUint,
  u32Column,
  writeString,
  writeU32Column,
  writeUint,
} from "./wire.js";

export interface SeriesTagsRequest {
  namespace: string;
  matchers: readonly Matcher[];
  /** Both ends included. */
  startMs: number;
  endMs: number;
  limits: { maxSeries: number; maxDocsScanned: number };
  /** Only the series of these shards (null: every series). */
  shards: readonly number[] | null;
}

export interface WireSeriesTags {
  id: string;
  encodedTags: Uint8Array;
}

export interface LabelNamesRequest {
  namespace: string;
  matchers: readonly Matcher[];
  startMs: number;
  endMs: number;
}

export interface LabelValuesRequest extends LabelNamesRequest {
  name: string;
}

// ---- matchers and shards (shared with the fetch and the aggregate) ----------

/** Writes each matcher as a nested Matcher {type, name, value}. */
export function writeMatchers(w: ProtoWriter, field: number, matchers: readonly Matcher[]): void {
  for (const m of matchers) {
    const type = MATCH_TYPES.indexOf(m.type);
    const size =
      (type === 0 ? 0 : 2) + fieldSize(2, utf8Size(m.name)) + fieldSize(3, utf8Size(m.value));
    w.key(field, 2);
    w.varint(size);
    if (type !== 0) writeUint(w, 1, type);
    writeString(w, 2, m.name);
    writeString(w, 3, m.value);
  }
}

/** Reads one nested Matcher; an invalid one fails with the index's InvalidMatcherError. */
export function readMatcher(r: ProtoReader, outer: number): Matcher {
  const end = nestedEnd(r, outer);
  let type = 0;
  let name = "";
  let value = "";
  while (r.pos < end) {
    r.key(end);
    if (r.field === 1) type = readUint(r, end);
    else if (r.field === 2) name = readString(r, end);
    else if (r.field === 3) value = readString(r, end);
    else r.skip(r.type, end);
  }
  if (type >= MATCH_TYPES.length) throw r.fail(end, `matcher type ${type} is unknown`);
  return newMatcher(MATCH_TYPES[type], name, value);
}

/** Writes a shard filter as `all_shards` (null) or the shards as uint32s. */
export function writeShards(
  w: ProtoWriter,
  allField: number,
  listField: number,
  shards: readonly number[] | null,
  messageName: string,
): void {
  if (shards === null) writeUint(w, allField, 1);
  else writeU32Column(w, listField, shards, shards.length, messageName, "shards");
}

// ---- SeriesTags ---------------------------------------------------------------

const TAGS_REQUEST = "SeriesTagsRequest";
const TAGS_RESPONSE = "SeriesTagsResponse";

/**
 * Fields 1..8, which SeriesTagsRequest is and FetchTaggedRequest begins
 * with: namespace, matchers, the range, the shard filter, the series limits.
 */
export function writeIndexQuery(w: ProtoWriter, req: SeriesTagsRequest, messageName: string): void {
  writeString(w, 1, req.namespace);
  writeMatchers(w, 2, req.matchers);
  w.double(3, req.startMs);
  w.double(4, req.endMs);
  writeShards(w, 5, 6, req.shards, messageName);
  writeUint(w, 7, checkUint(req.limits.maxSeries, messageName, "max_series"));
  writeUint(w, 8, checkUint(req.limits.maxDocsScanned, messageName, "max_docs_scanned"));
}

/**
 * Reads a message of writeIndexQuery's fields; `extra` reads a field of the
 * message's own (true when it took it), every other field is skipped.
 */
export function readIndexQuery(
  bytes: Uint8Array,
  messageName: string,
  extra: (r: ProtoReader, end: number) => boolean = () => false,
): SeriesTagsRequest {
  const r = readerFor(messageName);
  r.reset(bytes);
  const end = bytes.length;
  const req: SeriesTagsRequest = {
    namespace: "",
    matchers: [],
    startMs: 0,
    endMs: 0,
    limits: { maxSeries: 0, maxDocsScanned: 0 },
    shards: [],
  };
  const matchers: Matcher[] = [];
  let all = false;
  let shards: readonly number[] = [];
  while (r.pos < end) {
    r.key(end);
    switch (r.field) {
      case 1:
        req.namespace = readString(r, end);
        break;
      case 2:
        matchers.push(readMatcher(r, end));
        break;
      case 3:
        req.startMs = readDouble(r, end);
        break;
      case 4:
        req.endMs = readDouble(r, end);
        break;
      case 5:
        all = readBool(r, end);
        break;
      case 6:
        shards = Array.from(u32Column(r, readBytes(r, end), "shards"));
        break;
      case 7:
        req.limits.maxSeries = readUint(r, end);
        break;
      case 8:
        req.limits.maxDocsScanned = readUint(r, end);
        break;
      default:
        if (!extra(r, end)) r.skip(r.type, end);
    }
  }
  req.matchers = matchers;
  req.shards = all ? null : shards;
  return req;
}

export function encodeSeriesTagsRequest(req: SeriesTagsRequest): Uint8Array {
  const w = new ProtoWriter(256);
  writeIndexQuery(w, req, TAGS_REQUEST);
  return w.result();
}

export function decodeSeriesTagsRequest(bytes: Uint8Array): SeriesTagsRequest {
  return readIndexQuery(bytes, TAGS_REQUEST);
}

export function encodeSeriesTagsResponse(series: readonly WireSeriesTags[]): Uint8Array {
  let total = 0;
  for (const s of series) total += 16 + s.id.length * 3 + s.encodedTags.length;
  const w = new ProtoWriter(total + 16);
  for (const s of series) {
    const size = fieldSize(1, utf8Size(s.id)) + fieldSize(2, s.encodedTags.length);
    w.key(1, 2);
    w.varint(size);
    writeString(w, 1, s.id);
    w.bytesField(2, s.encodedTags);
  }
  return w.result();
}

export function decodeSeriesTagsResponse(bytes: Uint8Array): WireSeriesTags[] {
  const r = readerFor(TAGS_RESPONSE);
  r.reset(bytes);
  const end = bytes.length;
  const out: WireSeriesTags[] = [];
  while (r.pos < end) {
    r.key(end);
    if (r.field !== 1) {
      r.skip(r.type, end);
      continue;
    }
    const stop = nestedEnd(r, end);
    const s: WireSeriesTags = { id: "", encodedTags: new Uint8Array(0) };
    while (r.pos < stop) {
      r.key(stop);
      if (r.field === 1) s.id = readString(r, stop);
      else if (r.field === 2) s.encodedTags = copyOf(readBytes(r, stop));
      else r.skip(r.type, stop);
    }
    out.push(s);
  }
  return out;
}

// ---- LabelNames and LabelValues -------------------------------------------------

const NAMES_REQUEST = "LabelNamesRequest";
const VALUES_REQUEST = "LabelValuesRequest";
const LABELS_RESPONSE = "LabelsResponse";

export function encodeLabelNamesRequest(req: LabelNamesRequest): Uint8Array {
  const w = new ProtoWriter(256);
  writeString(w, 1, req.namespace);
  writeMatchers(w, 2, req.matchers);
  w.double(3, req.startMs);
  w.double(4, req.endMs);
  return w.result();
}

export function decodeLabelNamesRequest(bytes: Uint8Array): LabelNamesRequest {
  return decodeLabelsRequest(bytes, NAMES_REQUEST);
}

export function encodeLabelValuesRequest(req: LabelValuesRequest): Uint8Array {
  const w = new ProtoWriter(256);
  writeString(w, 1, req.namespace);
  writeMatchers(w, 2, req.matchers);
  w.double(3, req.startMs);
  w.double(4, req.endMs);
  writeString(w, 5, req.name);
  return w.result();
}

export function decodeLabelValuesRequest(bytes: Uint8Array): LabelValuesRequest {
  return decodeLabelsRequest(bytes, VALUES_REQUEST);
}

function decodeLabelsRequest(bytes: Uint8Array, messageName: string): LabelValuesRequest {
  const r = readerFor(messageName);
  r.reset(bytes);
  const end = bytes.length;
  const req: LabelValuesRequest = { namespace: "", matchers: [], startMs: 0, endMs: 0, name: "" };
  const matchers: Matcher[] = [];
  while (r.pos < end) {
    r.key(end);
    switch (r.field) {
      case 1:
        req.namespace = readString(r, end);
        break;
      case 2:
        matchers.push(readMatcher(r, end));
        break;
      case 3:
        req.startMs = readDouble(r, end);
        break;
      case 4:
        req.endMs = readDouble(r, end);
        break;
      case 5:
        req.name = readString(r, end);
        break;
      default:
        r.skip(r.type, end);
    }
  }
  req.matchers = matchers;
  return req;
}

export function encodeLabelsResponse(values: readonly string[]): Uint8Array {
  let total = 16;
  for (const v of values) total += 6 + v.length * 3;
  const w = new ProtoWriter(total);
  for (const v of values) writeString(w, 1, v);
  return w.result();
}

export function decodeLabelsResponse(bytes: Uint8Array): string[] {
  const r = readerFor(LABELS_RESPONSE);
  r.reset(bytes);
  const end = bytes.length;
  const out: string[] = [];
  while (r.pos < end) {
    r.key(end);
    if (r.field === 1) out.push(readString(r, end));
    else r.skip(r.type, end);
  }
  return out;
}
