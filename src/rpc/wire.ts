// The pieces every node RPC message is built from, over src/x's protobuf
// reader and writer: scalar fields, strings, and the columns of a batch as
// one `bytes` field each holding a little-endian array, so a column of a
// million datapoints is one copy each way and NaN payloads (Prometheus's
// stale marker) keep every bit.
import {
  BYTES,
  FIXED64,
  ProtoReader,
  type ProtoWriter,
  utf8Size,
  VARINT,
  varintSize,
} from "../x/index.js";
import { RpcMessageError } from "./errors.js";

// Typed-array views of column bytes assume the machine's order is the wire's.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("the node RPC's columns are little-endian; this machine is big-endian");
}

const utf8 = new TextDecoder("utf-8");

/** A reader whose errors name the message being read. */
export function readerFor(messageName: string): ProtoReader {
  return new ProtoReader(
    (offset, what) => new RpcMessageError(messageName, `${what} at byte ${offset}`),
  );
}

/** Throws unless the last key has the wire type the field is declared with. */
export function expectType(r: ProtoReader, type: number): void {
  if (r.type !== type) {
    throw r.fail(r.pos, `field ${r.field} has wire type ${r.type}, expected ${type}`);
  }
}

export function readUint(r: ProtoReader, end: number): number {
  expectType(r, VARINT);
  const at = r.pos;
  r.varint(end);
  if (r.value < 0) throw r.fail(at, `field ${r.field} is beyond 2^53`);
  return r.value;
}

export function readBool(r: ProtoReader, end: number): boolean {
  return readUint(r, end) !== 0;
}

export function readDouble(r: ProtoReader, end: number): number {
  expectType(r, FIXED64);
  if (r.pos + 8 > end) throw r.fail(r.pos, `field ${r.field} runs past its message`);
  const v = r.view.getFloat64(r.pos, true);
  r.pos += 8;
  return v;
}

/** A length-delimited field's bytes, a plain Uint8Array view into the message (no copy). */
export function readBytes(r: ProtoReader, end: number): Uint8Array {
  expectType(r, BYTES);
  const stop = r.lengthOf(end, `field ${r.field}`);
  // Not `subarray`: on a Buffer (what gRPC hands over) that gives a Buffer.
  const b = new Uint8Array(r.bytes.buffer, r.bytes.byteOffset + r.pos, stop - r.pos);
  r.pos = stop;
  return b;
}

export function readString(r: ProtoReader, end: number): string {
  return utf8.decode(readBytes(r, end));
}

/** The end of a nested message whose key was just read. */
export function nestedEnd(r: ProtoReader, end: number): number {
  expectType(r, BYTES);
  return r.lengthOf(end, `field ${r.field}`);
}

/**
 * The bytes copied into a buffer of their own. (A Buffer's slice is a view,
 * so the copy is made explicitly: gRPC hands messages over as Buffers.)
 */
export function copyOf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** A column of little-endian float64s: a view when the bytes are aligned, else an aligned copy. */
export function f64Column(r: ProtoReader, b: Uint8Array, what: string): Float64Array {
  if (b.length % 8 !== 0)
    throw r.fail(r.pos, `${what} holds ${b.length} bytes, not a multiple of 8`);
  if (b.byteOffset % 8 === 0) return new Float64Array(b.buffer, b.byteOffset, b.length / 8);
  return new Float64Array(copyOf(b).buffer);
}

/** A column of little-endian uint32s: a view when the bytes are aligned, else an aligned copy. */
export function u32Column(r: ProtoReader, b: Uint8Array, what: string): Uint32Array {
  if (b.length % 4 !== 0)
    throw r.fail(r.pos, `${what} holds ${b.length} bytes, not a multiple of 4`);
  if (b.byteOffset % 4 === 0) return new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  return new Uint32Array(copyOf(b).buffer);
}

// ---- writing ----------------------------------------------------------------

export function writeUint(w: ProtoWriter, field: number, v: number): void {
  w.key(field, VARINT);
  w.varint(v);
}

export function writeString(w: ProtoWriter, field: number, s: string): void {
  w.stringField(field, s, utf8Size(s));
}

/** Writes `count` numbers as a bytes field of float64s; a Float64Array's bits go as they are. */
export function writeF64Column(
  w: ProtoWriter,
  field: number,
  col: ArrayLike<number>,
  count: number,
): void {
  const len = count * 8;
  w.key(field, BYTES);
  w.varint(len);
  w.ensure(len);
  if (col instanceof Float64Array) {
    w.buf.set(new Uint8Array(col.buffer, col.byteOffset, len), w.pos);
  } else {
    for (let i = 0; i < count; i++) w.view.setFloat64(w.pos + i * 8, col[i], true);
  }
  w.pos += len;
}

/** Writes `count` unsigned 32-bit integers as a bytes field; anything else is refused. */
export function writeU32Column(
  w: ProtoWriter,
  field: number,
  col: ArrayLike<number>,
  count: number,
  messageName: string,
  what: string,
): void {
  const len = count * 4;
  w.key(field, BYTES);
  w.varint(len);
  w.ensure(len);
  for (let i = 0; i < count; i++) {
    const v = col[i];
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new RpcMessageError(
        messageName,
        `${what}[${i}] = ${v} is not an unsigned 32-bit integer`,
      );
    }
    w.view.setUint32(w.pos + i * 4, v, true);
  }
  w.pos += len;
}

/** Checks a count or limit before it goes out as a varint. */
export function checkUint(v: number, messageName: string, what: string): number {
  if (!(Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER)) {
    throw new RpcMessageError(messageName, `${what} = ${v} is not a non-negative integer`);
  }
  return v;
}

/** Bytes of a length-delimited field of any field number under 2048. */
export function fieldSize(field: number, len: number): number {
  return varintSize(field * 8) + varintSize(len) + len;
}
