// FetchTagged's request and response (node.proto): matchers, range, shards
// and limits; the answer's series each with its encoded tags and its data
// pieces as kind and bytes, unchanged (docs/format/read-rpc.md).
import { isPacked, packedBlock, type SeriesData } from "../codec/index.js";
import type { Matcher } from "../index/index.js";
import { ProtoWriter, utf8Size } from "../x/index.js";
import { readIndexQuery, writeIndexQuery } from "./index-messages.js";
import {
  checkUint,
  fieldSize,
  nestedEnd,
  readBytes,
  readerFor,
  readString,
  readUint,
  writeString,
  writeUint,
} from "./wire.js";

export interface FetchTaggedRequest {
  namespace: string;
  matchers: readonly Matcher[];
  /** Both ends included. */
  startMs: number;
  endMs: number;
  /** Only the series of these shards (null: every series the node holds). */
  shards: readonly number[] | null;
  limits: { maxSeries: number; maxDocsScanned: number; maxSamples: number };
}

/** One series of a fetch as it crosses the wire. */
export interface WireSeries {
  id: string;
  encodedTags: Uint8Array;
  /** The pieces in MultiStreamIterator's order. */
  data: SeriesData[];
}

/** SeriesData.kind on the wire. */
export const DATA_KIND = { m3tsz: 0, packed: 1 } as const;

const REQUEST = "FetchTaggedRequest";
const RESPONSE = "FetchTaggedResponse";

export function encodeFetchTaggedRequest(req: FetchTaggedRequest): Uint8Array {
  const w = new ProtoWriter(256);
  writeIndexQuery(w, req, REQUEST);
  writeUint(w, 9, checkUint(req.limits.maxSamples, REQUEST, "max_samples"));
  return w.result();
}

export function decodeFetchTaggedRequest(bytes: Uint8Array): FetchTaggedRequest {
  let maxSamples = 0;
  const q = readIndexQuery(bytes, REQUEST, (r, end) => {
    if (r.field !== 9) return false;
    maxSamples = readUint(r, end);
    return true;
  });
  return { ...q, limits: { ...q.limits, maxSamples } };
}

function pieceSize(d: SeriesData): number {
  return isPacked(d) ? 2 + fieldSize(2, d.bytes.length) : fieldSize(2, d.length);
}

/** Bytes one series takes in a FetchTaggedResponse, its key and length included (for bounds on bytes in flight). */
export function wireSeriesSize(s: WireSeries): number {
  const n = seriesBodySize(s);
  return fieldSize(1, n);
}

function seriesBodySize(s: WireSeries): number {
  let n = fieldSize(1, utf8Size(s.id)) + fieldSize(2, s.encodedTags.length);
  for (const d of s.data) n += fieldSize(3, pieceSize(d));
  return n;
}

/** Encodes the series into one buffer sized up front: every piece's bytes are copied once. */
export function encodeFetchTaggedResponse(series: readonly WireSeries[]): Uint8Array {
  const bodies = new Float64Array(series.length);
  let total = 0;
  for (let i = 0; i < series.length; i++) {
    bodies[i] = seriesBodySize(series[i]);
    total += fieldSize(1, bodies[i]);
  }
  // ProtoWriter asks for ten bytes of room before each varint.
  const w = new ProtoWriter(total + 16);
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    w.key(1, 2);
    w.varint(bodies[i]);
    writeString(w, 1, s.id);
    w.bytesField(2, s.encodedTags);
    for (const d of s.data) {
      w.key(3, 2);
      w.varint(pieceSize(d));
      if (isPacked(d)) {
        writeUint(w, 1, DATA_KIND.packed);
        w.bytesField(2, d.bytes);
      } else {
        w.bytesField(2, d);
      }
    }
  }
  return w.result();
}

/**
 * Decodes the series; the pieces and tags are views into `bytes` (no copy),
 * which a fetch's caller merges and drops.
 */
export function decodeFetchTaggedResponse(bytes: Uint8Array): WireSeries[] {
  const r = readerFor(RESPONSE);
  r.reset(bytes);
  const end = bytes.length;
  const out: WireSeries[] = [];
  while (r.pos < end) {
    r.key(end);
    if (r.field !== 1) {
      r.skip(r.type, end);
      continue;
    }
    const stop = nestedEnd(r, end);
    const s: WireSeries = { id: "", encodedTags: new Uint8Array(0), data: [] };
    while (r.pos < stop) {
      r.key(stop);
      if (r.field === 1) s.id = readString(r, stop);
      else if (r.field === 2) s.encodedTags = readBytes(r, stop);
      else if (r.field === 3) {
        const pieceEnd = nestedEnd(r, stop);
        let kind = 0;
        let data: Uint8Array = new Uint8Array(0);
        while (r.pos < pieceEnd) {
          r.key(pieceEnd);
          if (r.field === 1) kind = readUint(r, pieceEnd);
          else if (r.field === 2) data = readBytes(r, pieceEnd);
          else r.skip(r.type, pieceEnd);
        }
        if (kind === DATA_KIND.m3tsz) s.data.push(data);
        else if (kind === DATA_KIND.packed) s.data.push(packedBlock(data));
        else throw r.fail(pieceEnd, `series data kind ${kind} is unknown`);
      } else r.skip(r.type, stop);
    }
    out.push(s);
  }
  return out;
}
