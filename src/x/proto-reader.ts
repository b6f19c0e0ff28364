// A protobuf wire-format reader over one byte array: varints as two 32-bit
// halves (no BigInt), keys, length-delimited fields bounded by their
// enclosing message, and skipping of unknown fields. Errors come from the
// caller's factory, so each message kind reports its own typed error.
import type { M3tsError } from "./errors.js";

export const VARINT = 0;
export const FIXED64 = 1;
export const BYTES = 2;
export const FIXED32 = 5;

export type ProtoErrorFactory = (offset: number, what: string) => M3tsError;

export class ProtoReader {
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  pos = 0;
  /** The last varint's low and high 32 bits. */
  lo = 0;
  hi = 0;
  /** The last varint as a number when below 2^53, else -1. */
  value = 0;
  /** The last key's field number and wire type. */
  field = 0;
  type = 0;
  private readonly error: ProtoErrorFactory;

  constructor(error: ProtoErrorFactory) {
    this.error = error;
  }

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  fail(offset: number, what: string): M3tsError {
    return this.error(offset, what);
  }

  /** Reads a varint of up to 10 bytes. */
  varint(end: number): void {
    const b = this.bytes;
    // Keys and lengths are nearly always one byte.
    if (this.pos < end && b[this.pos] < 0x80) {
      this.lo = this.value = b[this.pos++];
      this.hi = 0;
      return;
    }
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= end) throw this.error(this.pos, "varint cut short");
      if (i === 10) throw this.error(this.pos, "varint longer than 10 bytes");
      const byte = b[this.pos++];
      const bits = byte & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi = bits >>> 4;
      } else hi |= bits << (shift - 32);
      shift += 7;
      if (byte < 0x80) break;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    this.value = this.hi < 0x200000 ? this.hi * 0x100000000 + this.lo : -1;
  }

  /** The last varint as a signed 64-bit integer; throws beyond ±2^53. */
  int64(at: number, what: string): number {
    if (this.hi < 0x200000) return this.value;
    // Negative: two's complement over 64 bits.
    if (this.hi >= 0xffe00000) return (this.hi - 0x100000000) * 0x100000000 + this.lo;
    throw this.error(at, `${what} is beyond ±2^53`);
  }

  /** Reads a key into `field` and `type`. */
  key(end: number): void {
    const at = this.pos;
    this.varint(end);
    if (this.value < 0 || this.value > 0xffffffff) throw this.error(at, "field key out of range");
    this.field = Math.floor(this.value / 8);
    this.type = this.value & 7;
    if (this.field === 0) throw this.error(at, "field number 0");
  }

  /** Reads a length prefix; returns where the field ends. */
  lengthOf(end: number, what: string): number {
    const at = this.pos;
    this.varint(end);
    const stop = this.pos + this.value;
    if (this.value < 0 || stop > end) {
      throw this.error(at, `${what} length runs past its enclosing message`);
    }
    return stop;
  }

  /** Skips a field of wire type `type`. */
  skip(type: number, end: number): void {
    const at = this.pos;
    let stop: number;
    switch (type) {
      case VARINT:
        this.varint(end);
        return;
      case FIXED64:
        stop = this.pos + 8;
        break;
      case BYTES:
        stop = this.lengthOf(end, "field");
        break;
      case FIXED32:
        stop = this.pos + 4;
        break;
      default:
        throw this.error(at, `wire type ${type} is not supported`);
    }
    if (stop > end) throw this.error(at, "field runs past its enclosing message");
    this.pos = stop;
  }
}
