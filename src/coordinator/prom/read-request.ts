// Decodes Prometheus remote read's ReadRequest (prompb/remote.proto, types.proto):
//   ReadRequest   1 queries (Query), 2 accepted_response_types (enum, packed or not)
//   Query         1 start_timestamp_ms, 2 end_timestamp_ms (int64), 3 matchers, 4 hints
//   LabelMatcher  1 type (EQ 0, NEQ 1, RE 2, NRE 3), 2 name, 3 value
//   ReadHints     1 step_ms, 2 func, 3 start_ms, 4 end_ms (int64), 5 grouping (repeated
//                 string), 6 by (bool), 7 range_ms (int64)
// Unknown fields, and known fields of another wire type, are skipped as
// protobuf parsers do; a message field seen twice is merged into one.
import { BYTES, M3tsError, ProtoReader, VARINT } from "../../x/index.js";

/** A request body that is not a ReadRequest; `offset` is the byte where decoding stopped. */
export class ReadRequestFormatError extends M3tsError {
  readonly offset: number;

  constructor(offset: number, what: string) {
    super("M3TS_ERR_READ_REQUEST_FORMAT", `remote read request: ${what} at byte ${offset}`);
    this.offset = offset;
  }
}

/** ReadRequest.ResponseType: what a client accepts, in order of preference. */
export const RESPONSE_TYPE = { SAMPLES: 0, STREAMED_XOR_CHUNKS: 1 } as const;

export type ReadMatchType = "=" | "!=" | "=~" | "!~";

export interface ReadMatcher {
  type: ReadMatchType;
  name: string;
  value: string;
}

/** What PromQL will do with the data; advisory, a server may ignore it. */
export interface ReadHints {
  stepMs: number;
  func: string;
  startMs: number;
  endMs: number;
  grouping: string[];
  by: boolean;
  rangeMs: number;
}

export interface ReadQuery {
  startMs: number;
  endMs: number;
  matchers: ReadMatcher[];
  hints: ReadHints | null;
}

export interface ReadRequest {
  queries: ReadQuery[];
  /** Enum values as sent, unknown ones included; empty means SAMPLES only. */
  acceptedResponseTypes: number[];
}

// Indexed by LabelMatcher.Type.
const MATCH_TYPES: readonly ReadMatchType[] = ["=", "!=", "=~", "!~"];

const wire = new ProtoReader((offset, what) => new ReadRequestFormatError(offset, what));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes an (uncompressed) ReadRequest. Throws ReadRequestFormatError on bad bytes. */
export function decodeReadRequest(body: Uint8Array): ReadRequest {
  wire.reset(body);
  const out: ReadRequest = { queries: [], acceptedResponseTypes: [] };
  const end = body.length;
  while (wire.pos < end) {
    wire.key(end);
    if (wire.field === 1 && wire.type === BYTES) {
      out.queries.push(query(wire.lengthOf(end, "query")));
    } else if (wire.field === 2 && wire.type === VARINT) {
      wire.varint(end);
      out.acceptedResponseTypes.push(wire.lo | 0);
    } else if (wire.field === 2 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "accepted_response_types");
      while (wire.pos < stop) {
        wire.varint(stop);
        out.acceptedResponseTypes.push(wire.lo | 0);
      }
    } else wire.skip(wire.type, end);
  }
  return out;
}

function query(end: number): ReadQuery {
  const q: ReadQuery = { startMs: 0, endMs: 0, matchers: [], hints: null };
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    if ((field === 1 || field === 2) && wire.type === VARINT) {
      wire.varint(end);
      if (field === 1) q.startMs = int64Ms();
      else q.endMs = int64Ms();
    } else if (field === 3 && wire.type === BYTES) {
      q.matchers.push(matcher(wire.lengthOf(end, "matcher")));
    } else if (field === 4 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "hints");
      q.hints = hints(stop, q.hints ?? emptyHints());
    } else wire.skip(wire.type, end);
  }
  return q;
}

function matcher(end: number): ReadMatcher {
  const at = wire.pos;
  let type = 0;
  let name = "";
  let value = "";
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    if (field === 1 && wire.type === VARINT) {
      wire.varint(end);
      // An enum is an int32: its low 32 bits, signed.
      type = wire.lo | 0;
    } else if (field === 2 && wire.type === BYTES) name = string(end, "matcher name");
    else if (field === 3 && wire.type === BYTES) value = string(end, "matcher value");
    else wire.skip(wire.type, end);
  }
  const t = MATCH_TYPES[type];
  if (t === undefined) {
    throw new ReadRequestFormatError(
      at,
      `matcher type ${type} (on label "${name}") is not EQ (0), NEQ (1), RE (2) or NRE (3)`,
    );
  }
  return { type: t, name, value };
}

function emptyHints(): ReadHints {
  return { stepMs: 0, func: "", startMs: 0, endMs: 0, grouping: [], by: false, rangeMs: 0 };
}

function hints(end: number, h: ReadHints): ReadHints {
  while (wire.pos < end) {
    wire.key(end);
    const field = wire.field;
    if (wire.type === VARINT && (field === 1 || field === 3 || field === 4 || field === 7)) {
      wire.varint(end);
      const v = int64Ms();
      if (field === 1) h.stepMs = v;
      else if (field === 3) h.startMs = v;
      else if (field === 4) h.endMs = v;
      else h.rangeMs = v;
    } else if (field === 6 && wire.type === VARINT) {
      wire.varint(end);
      h.by = wire.lo !== 0 || wire.hi !== 0;
    } else if (field === 2 && wire.type === BYTES) h.func = string(end, "hints func");
    else if (field === 5 && wire.type === BYTES) h.grouping.push(string(end, "hints grouping"));
    else wire.skip(wire.type, end);
  }
  return h;
}

/**
 * The last varint as an int64 of milliseconds, clamped to ±(2^53 - 1):
 * Prometheus's API sends times near math.MinInt64 and MaxInt64 for a query
 * without start or end, and no sample lies that far out, so the bound
 * selects the same data.
 */
function int64Ms(): number {
  const hi = wire.hi | 0;
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  if (hi < -0x200000) return -Number.MAX_SAFE_INTEGER;
  // |hi| <= 2^21 here, so the sum is exact; only -2^53 itself needs the clamp.
  return Math.max(hi * 0x100000000 + wire.lo, -Number.MAX_SAFE_INTEGER);
}

/** A length-delimited UTF-8 string field at the reader's position. */
function string(end: number, what: string): string {
  const stop = wire.lengthOf(end, what);
  const at = wire.pos;
  let s: string;
  try {
    s = utf8.decode(wire.bytes.subarray(at, stop));
  } catch {
    throw new ReadRequestFormatError(at, `${what} is not valid UTF-8`);
  }
  wire.pos = stop;
  return s;
}
