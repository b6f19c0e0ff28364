// Prometheus remote read's ReadRequest (prompb/remote.proto):
//   ReadRequest   1 queries (message), 2 accepted_response_types (enum, packed or not)
//   Query         1 start_timestamp_ms, 2 end_timestamp_ms (int64), 3 matchers, 4 hints (skipped)
//   LabelMatcher  1 type (EQ=0, NEQ=1, RE=2, NRE=3), 2 name, 3 value
import { M3tsError } from "../x/index.js";
import { BYTES, ProtoReader, VARINT } from "./proto-reader.js";

export class ReadRequestFormatError extends M3tsError {
  readonly offset: number;

  constructor(offset: number, what: string) {
    super("M3TS_ERR_READ_REQUEST_FORMAT", `remote read request: ${what} at byte ${offset}`);
    this.offset = offset;
  }
}

export const RESPONSE_TYPE = { SAMPLES: 0, STREAMED_XOR_CHUNKS: 1 } as const;

export type ReadMatchType = "=" | "!=" | "=~" | "!~";

export interface ReadQuery {
  startMs: number;
  endMs: number;
  matchers: { type: ReadMatchType; name: string; value: string }[];
}

export interface ReadRequest {
  queries: ReadQuery[];
  acceptedResponseTypes: number[];
}

const MATCH_TYPES: readonly ReadMatchType[] = ["=", "!=", "=~", "!~"];
const wire = new ProtoReader((offset, what) => new ReadRequestFormatError(offset, what));
const text = new TextDecoder("utf-8", { fatal: true });

export function decodeReadRequest(body: Uint8Array): ReadRequest {
  wire.reset(body);
  const out: ReadRequest = { queries: [], acceptedResponseTypes: [] };
  const end = body.length;
  while (wire.pos < end) {
    wire.key(end);
    if (wire.field === 1 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "query");
      out.queries.push(query(stop));
    } else if (wire.field === 2 && wire.type === VARINT) {
      wire.varint(end);
      out.acceptedResponseTypes.push(wire.value);
    } else if (wire.field === 2 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "accepted_response_types");
      while (wire.pos < stop) {
        wire.varint(stop);
        out.acceptedResponseTypes.push(wire.value);
      }
    } else wire.skip(wire.type, end);
  }
  return out;
}

function query(end: number): ReadQuery {
  const q: ReadQuery = { startMs: 0, endMs: 0, matchers: [] };
  while (wire.pos < end) {
    const at = wire.pos;
    wire.key(end);
    if ((wire.field === 1 || wire.field === 2) && wire.type === VARINT) {
      const field = wire.field;
      wire.varint(end);
      const t = wire.int64(at, "query timestamp");
      if (field === 1) q.startMs = t;
      else q.endMs = t;
    } else if (wire.field === 3 && wire.type === BYTES) {
      const stop = wire.lengthOf(end, "matcher");
      q.matchers.push(matcher(stop));
    } else wire.skip(wire.type, end);
  }
  return q;
}

function matcher(end: number): ReadQuery["matchers"][number] {
  let type = 0;
  let name = "";
  let value = "";
  const at = wire.pos;
  while (wire.pos < end) {
    wire.key(end);
    if (wire.field === 1 && wire.type === VARINT) {
      wire.varint(end);
      type = wire.value;
    } else if ((wire.field === 2 || wire.field === 3) && wire.type === BYTES) {
      const field = wire.field;
      const stop = wire.lengthOf(end, "matcher string");
      let s: string;
      try {
        s = text.decode(wire.bytes.subarray(wire.pos, stop));
      } catch {
        throw new ReadRequestFormatError(wire.pos, "matcher name or value is not UTF-8");
      }
      if (field === 2) name = s;
      else value = s;
      wire.pos = stop;
    } else wire.skip(wire.type, end);
  }
  const t = MATCH_TYPES[type];
  if (t === undefined) {
    throw new ReadRequestFormatError(
      at,
      `matcher type ${type} is not EQ (0), NEQ (1), RE (2) or NRE (3)`,
    );
  }
  return { type: t, name, value };
}
