// Health and Aggregate's messages (node.proto): what a node says of itself,
// and a partial aggregation pushed down to it with its answer as bytes.
import { ProtoWriter } from "../x/index.js";
import {
  checkUint,
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

export type WireNodeState = "bootstrapping" | "bootstrapped" | "failed";
const STATES: readonly WireNodeState[] = ["bootstrapping", "bootstrapped", "failed"];

export interface HealthResponse {
  state: WireNodeState;
  failureReason: string | null;
}

/** A partial aggregation over the series of `shards` (the client's NodeAggregateRequest). */
export interface AggregateRequest {
  namespace: string;
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  lookbackMs: number;
  maxSeries: number;
  maxSamples: number;
  shards: readonly number[];
}

const HEALTH = "HealthResponse";
const AGGREGATE = "AggregateRequest";
const AGGREGATE_RESPONSE = "AggregateResponse";

/** HealthRequest has no fields. */
export function encodeHealthRequest(): Uint8Array {
  return new Uint8Array(0);
}

export function encodeHealthResponse(h: HealthResponse): Uint8Array {
  const w = new ProtoWriter(64 + (h.failureReason?.length ?? 0) * 3);
  writeUint(w, 1, STATES.indexOf(h.state));
  // The reason is never empty when there is one, so empty stands for none.
  if (h.failureReason !== null) writeString(w, 2, h.failureReason);
  return w.result();
}

export function decodeHealthResponse(bytes: Uint8Array): HealthResponse {
  const r = readerFor(HEALTH);
  r.reset(bytes);
  const end = bytes.length;
  let state = 0;
  let reason = "";
  while (r.pos < end) {
    r.key(end);
    if (r.field === 1) state = readUint(r, end);
    else if (r.field === 2) reason = readString(r, end);
    else r.skip(r.type, end);
  }
  if (state >= STATES.length) throw r.fail(end, `node state ${state} is unknown`);
  return { state: STATES[state], failureReason: reason === "" ? null : reason };
}

export function encodeAggregateRequest(req: AggregateRequest): Uint8Array {
  const w = new ProtoWriter(128 + req.query.length * 3 + req.shards.length * 4);
  writeString(w, 1, req.namespace);
  writeString(w, 2, req.query);
  w.double(3, req.startMs);
  w.double(4, req.endMs);
  w.double(5, req.stepMs);
  w.double(6, req.lookbackMs);
  writeUint(w, 7, checkUint(req.maxSeries, AGGREGATE, "max_series"));
  writeUint(w, 8, checkUint(req.maxSamples, AGGREGATE, "max_samples"));
  writeU32Column(w, 9, req.shards, req.shards.length, AGGREGATE, "shards");
  return w.result();
}

export function decodeAggregateRequest(bytes: Uint8Array): AggregateRequest {
  const r = readerFor(AGGREGATE);
  r.reset(bytes);
  const end = bytes.length;
  const req: AggregateRequest = {
    namespace: "",
    query: "",
    startMs: 0,
    endMs: 0,
    stepMs: 0,
    lookbackMs: 0,
    maxSeries: 0,
    maxSamples: 0,
    shards: [],
  };
  while (r.pos < end) {
    r.key(end);
    switch (r.field) {
      case 1:
        req.namespace = readString(r, end);
        break;
      case 2:
        req.query = readString(r, end);
        break;
      case 3:
        req.startMs = readDouble(r, end);
        break;
      case 4:
        req.endMs = readDouble(r, end);
        break;
      case 5:
        req.stepMs = readDouble(r, end);
        break;
      case 6:
        req.lookbackMs = readDouble(r, end);
        break;
      case 7:
        req.maxSeries = readUint(r, end);
        break;
      case 8:
        req.maxSamples = readUint(r, end);
        break;
      case 9:
        req.shards = Array.from(u32Column(r, readBytes(r, end), "shards"));
        break;
      default:
        r.skip(r.type, end);
    }
  }
  return req;
}

export function encodeAggregateResponse(partial: Uint8Array): Uint8Array {
  const w = new ProtoWriter(partial.length + 16);
  w.bytesField(1, partial);
  return w.result();
}

export function decodeAggregateResponse(bytes: Uint8Array): Uint8Array {
  const r = readerFor(AGGREGATE_RESPONSE);
  r.reset(bytes);
  const end = bytes.length;
  let partial: Uint8Array = new Uint8Array(0);
  while (r.pos < end) {
    r.key(end);
    if (r.field === 1) partial = readBytes(r, end);
    else r.skip(r.type, end);
  }
  return partial;
}
