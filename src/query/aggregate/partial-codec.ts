// The binary form of a partial aggregation, the state a node sends back for
// a pushed-down aggregation, and of a node's whole answer (the state with
// what the node read, so that the coordinator applies the query's limits
// across the cluster). Float arrays travel as their raw bytes, so every bit
// survives (NaN payloads such as the stale marker included); every length is
// checked against the others on decode, and a state that could not have been
// built is refused with the field that is wrong.
//
// Layout (little-endian): magic "M3PA", version byte, op, grouping, without,
// steps, groups, then each array as a u32 length and its elements, then the
// candidates. Strings are a u32 byte length and UTF-8. An answer is magic
// "M3PN", version byte, four f64 counts, warnings, infos, then a partial.

import { M3tsError } from "../../x/index.js";
import type { Labels } from "../labels.js";
import {
  PARTIAL_OPS,
  type PartialAggregate,
  type PartialCandidate,
  type PartialGroup,
  type PartialOp,
} from "./partial-state.js";

const PARTIAL_MAGIC = 0x4150334d; // "M3PA" read as a little-endian u32
const ANSWER_MAGIC = 0x4e50334d; // "M3PN"
const VERSION = 1;

/** Bytes that are not a partial aggregation (or node answer) this codec wrote. */
export class PartialDecodeError extends M3tsError {
  /** Byte offset where the problem was found. */
  readonly offset: number;

  constructor(offset: number, what: string) {
    super("M3TS_ERR_PARTIAL_DECODE", `malformed partial aggregation at byte ${offset}: ${what}`);
    this.offset = offset;
  }
}

/** What a node answers for a pushed-down aggregation. */
export interface PartialAnswer {
  partial: PartialAggregate;
  /** Series the node's selects matched, empty ones included (the series limit counts them). */
  seriesMatched: number;
  /** Series with samples the node read (M3-Series-Count). */
  seriesFetched: number;
  /** Raw samples the node fetched (held in memory, as the sample limit counts them). */
  samplesFetched: number;
  /** Samples read at the steps (stats' totalQueryableSamples). */
  queryableSamples: number;
  warnings: string[];
  infos: string[];
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Grows as written; one buffer, doubled when full. */
class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  /** A typed array as its length and raw bytes. */
  array(a: Float64Array | Uint8Array | Uint32Array | Int32Array): void {
    this.u32(a.length);
    this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  str(s: string): void {
    const b = utf8.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  strings(list: readonly string[]): void {
    this.u32(list.length);
    for (const s of list) this.str(s);
  }

  labels(labels: Labels): void {
    this.u32(labels.length);
    for (const l of labels) {
      this.str(l.name);
      this.str(l.value);
    }
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

class Reader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  at = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(what: string): never {
    throw new PartialDecodeError(this.at, what);
  }

  private need(n: number, what: string): void {
    if (this.at + n > this.buf.length) {
      this.fail(`${what} needs ${n} bytes, ${this.buf.length - this.at} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++];
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  /** Copies `n` elements of `width` bytes into a fresh (aligned) buffer. */
  private raw(n: number, width: number, what: string): ArrayBuffer {
    const len = n * width;
    this.need(len, what);
    const out = new ArrayBuffer(len);
    new Uint8Array(out).set(this.buf.subarray(this.at, this.at + len));
    this.at += len;
    return out;
  }

  f64s(what: string): Float64Array {
    return new Float64Array(this.raw(this.u32(what), 8, what));
  }

  u8s(what: string): Uint8Array {
    return new Uint8Array(this.raw(this.u32(what), 1, what));
  }

  u32s(what: string): Uint32Array {
    return new Uint32Array(this.raw(this.u32(what), 4, what));
  }

  i32s(what: string): Int32Array {
    return new Int32Array(this.raw(this.u32(what), 4, what));
  }

  str(what: string): string {
    const n = this.u32(what);
    this.need(n, what);
    const start = this.at;
    this.at += n;
    try {
      return fromUtf8.decode(this.buf.subarray(start, start + n));
    } catch {
      this.at = start;
      return this.fail(`${what} is not valid UTF-8`);
    }
  }

  /** A count of items each at least `minBytes` long, checked against the bytes left. */
  count(what: string, minBytes: number): number {
    const n = this.u32(what);
    if (n * minBytes > this.buf.length - this.at) {
      this.fail(
        `${what} claims ${n} entries, more than the ${this.buf.length - this.at} bytes left hold`,
      );
    }
    return n;
  }

  strings(what: string): string[] {
    const n = this.count(what, 4);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str(what));
    return out;
  }

  labels(what: string): Labels {
    const n = this.count(what, 8);
    const out: { name: string; value: string }[] = [];
    for (let i = 0; i < n; i++) {
      const name = this.str(`${what} name`);
      out.push({ name, value: this.str(`${what} value`) });
    }
    return out;
  }

  end(): void {
    if (this.at !== this.buf.length) this.fail(`${this.buf.length - this.at} bytes after the end`);
  }
}

function writePartial(w: Writer, p: PartialAggregate): void {
  w.u32(PARTIAL_MAGIC);
  w.u8(VERSION);
  w.str(p.op);
  w.strings(p.grouping);
  w.u8(p.without ? 1 : 0);
  w.f64(p.steps.startMs);
  w.f64(p.steps.stepMs);
  w.u32(p.steps.count);
  w.u32(p.groups.length);
  for (const g of p.groups) w.labels(g.labels);
  w.array(p.param);
  w.array(p.count);
  w.array(p.value);
  w.array(p.aux);
  w.array(p.dropNameAt);
  w.array(p.incremental);
  w.array(p.listStart);
  w.array(p.listValues);
  w.array(p.listRows);
  w.u32(p.candidates.length);
  for (const c of p.candidates) {
    w.labels(c.labels);
    w.u8(c.dropName ? 1 : 0);
  }
}

/** The bytes of a partial aggregation. */
export function encodePartial(p: PartialAggregate): Uint8Array {
  const w = new Writer();
  writePartial(w, p);
  return w.done();
}

function isPartialOp(op: string): op is PartialOp {
  return PARTIAL_OPS.has(op);
}

function readBool(r: Reader, what: string): boolean {
  const b = r.u8(what);
  if (b > 1) r.fail(`${what} is ${b}, not 0 or 1`);
  return b === 1;
}

function readPartial(r: Reader): PartialAggregate {
  if (r.u32("magic") !== PARTIAL_MAGIC) {
    r.at -= 4;
    r.fail('not a partial aggregation (magic is not "M3PA")');
  }
  const version = r.u8("version");
  if (version !== VERSION) r.fail(`version ${version}, this codec reads ${VERSION}`);
  const op = r.str("operator");
  if (!isPartialOp(op)) r.fail(`operator ${JSON.stringify(op)} has no partial state`);
  const grouping = r.strings("grouping");
  const without = readBool(r, "without");
  const startMs = r.f64("steps start");
  const stepMs = r.f64("steps step");
  const stepCount = r.u32("steps count");
  if (!Number.isFinite(startMs) || !(stepMs >= 0) || !Number.isFinite(stepMs)) {
    r.fail(`steps ${startMs}+${stepMs} are not finite times`);
  }
  const nGroups = r.count("groups", 4);
  const groups: PartialGroup[] = [];
  for (let i = 0; i < nGroups; i++) groups.push({ labels: r.labels("group labels") });
  const param = r.f64s("param");
  const count = r.f64s("count");
  const value = r.f64s("value");
  const aux = r.f64s("aux");
  const dropNameAt = r.u8s("dropNameAt");
  const incremental = r.u8s("incremental");
  const listStart = r.u32s("listStart");
  const listValues = r.f64s("listValues");
  const listRows = r.i32s("listRows");
  const nCandidates = r.count("candidates", 5);
  const candidates: PartialCandidate[] = [];
  for (let i = 0; i < nCandidates; i++) {
    const labels = r.labels("candidate labels");
    candidates.push({ labels, dropName: readBool(r, "candidate dropName") });
  }

  // The shapes newPartial gives each operator.
  const cells = nGroups * stepCount;
  const selectK = op === "topk" || op === "bottomk";
  const usesList = selectK || op === "quantile";
  const usesValue = op !== "count" && op !== "group" && !usesList;
  const usesAux = op === "sum" || op === "avg" || op === "stddev" || op === "stdvar";
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) r.fail(`${what} has ${got} entries, ${op} over ${cells} cells needs ${want}`);
  };
  expect("param", param.length, selectK || op === "quantile" ? stepCount : 0);
  expect("count", count.length, cells);
  expect("value", value.length, usesValue ? cells : 0);
  expect("aux", aux.length, usesAux ? cells : 0);
  expect("dropNameAt", dropNameAt.length, selectK ? 0 : cells);
  expect("incremental", incremental.length, op === "avg" ? cells : 0);
  expect("listStart", listStart.length, usesList ? cells + 1 : 0);
  if (usesList) {
    if (listStart[0] !== 0) r.fail(`listStart begins at ${listStart[0]}, not 0`);
    for (let c = 0; c < cells; c++) {
      if (listStart[c + 1] < listStart[c]) r.fail(`listStart decreases at cell ${c}`);
    }
    expect("listValues", listValues.length, listStart[cells]);
  } else expect("listValues", listValues.length, 0);
  expect("listRows", listRows.length, selectK ? listValues.length : 0);
  for (let i = 0; i < listRows.length; i++) {
    if (listRows[i] < 0 || listRows[i] >= nCandidates) {
      r.fail(`listRows[${i}] is ${listRows[i]}, outside the ${nCandidates} candidates`);
    }
  }
  if (!selectK && nCandidates > 0) r.fail(`${op} has ${nCandidates} candidates, it keeps none`);
  return {
    op,
    grouping,
    without,
    steps: { startMs, stepMs, count: stepCount },
    groups,
    param,
    count,
    value,
    aux,
    dropNameAt,
    incremental,
    listStart,
    listValues,
    listRows,
    candidates,
  };
}

/** The partial aggregation `bytes` hold; PartialDecodeError if they are not one. */
export function decodePartial(bytes: Uint8Array): PartialAggregate {
  const r = new Reader(bytes);
  const p = readPartial(r);
  r.end();
  return p;
}

/** The bytes of a node's answer. */
export function encodePartialAnswer(a: PartialAnswer): Uint8Array {
  const w = new Writer();
  w.u32(ANSWER_MAGIC);
  w.u8(VERSION);
  w.f64(a.seriesMatched);
  w.f64(a.seriesFetched);
  w.f64(a.samplesFetched);
  w.f64(a.queryableSamples);
  w.strings(a.warnings);
  w.strings(a.infos);
  writePartial(w, a.partial);
  return w.done();
}

/** The node answer `bytes` hold; PartialDecodeError if they are not one. */
export function decodePartialAnswer(bytes: Uint8Array): PartialAnswer {
  const r = new Reader(bytes);
  if (r.u32("magic") !== ANSWER_MAGIC) {
    r.at = 0;
    r.fail('not a node answer (magic is not "M3PN")');
  }
  const version = r.u8("version");
  if (version !== VERSION) r.fail(`answer version ${version}, this codec reads ${VERSION}`);
  const counts = [
    r.f64("seriesMatched"),
    r.f64("seriesFetched"),
    r.f64("samplesFetched"),
    r.f64("queryableSamples"),
  ];
  counts.forEach((n, i) => {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      r.fail(`count ${i} of the answer is ${n}, not a non-negative integer`);
    }
  });
  const warnings = r.strings("warnings");
  const infos = r.strings("infos");
  const partial = readPartial(r);
  r.end();
  return {
    partial,
    seriesMatched: counts[0],
    seriesFetched: counts[1],
    samplesFetched: counts[2],
    queryableSamples: counts[3],
    warnings,
    infos,
  };
}
