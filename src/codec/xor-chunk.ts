// Prometheus's XOR chunk (tsdb/chunkenc/xor.go, bstream.go): the float chunk
// that streamed remote read carries. Encoder, iterator and their errors.
//
// Layout: a 2-byte big-endian sample count, then a bit stream, most
// significant bit first, zero-padded to a whole byte:
//   sample 0   zigzag varint time (ms), then the value's 64 bits
//   sample 1   uvarint time delta, then the value as an XOR (below)
//   sample n   delta-of-delta (dod) of the time, then the value as an XOR:
//                0                   dod = 0
//                10   + 14 bits      -8191 <= dod <= 8192
//                110  + 17 bits      -65535 <= dod <= 65536
//                1110 + 20 bits      -524287 <= dod <= 524288
//                1111 + 64 bits      anything else
//              (two's complement; a bucket's n bits read back above 2^(n-1)
//              are negative, which is why each range has one more positive)
//   XOR value  0: same bits as the previous value; 10: the XOR's significant
//              bits within the previous leading/trailing zero window; 11: 5
//              bits of leading zeros (at most 31), 6 bits of significant bit
//              count (0 meaning 64), then those bits.
//
// Times are int64 milliseconds carried as doubles: the encoder accepts
// integers within ±2^52 so that every delta and delta-of-delta is exact in a
// double, and splits 64-bit fields into 32-bit halves; no BigInt anywhere.
import { M3tsError } from "../x/index.js";
import { BitReader, END_OF_BITS } from "./bit-reader.js";
import { BitWriter } from "./bit-writer.js";

/** Prometheus cuts a chunk at this many samples (tsdb's default samples per chunk). */
export const MAX_SAMPLES_PER_CHUNK = 120;

/** The header's 16-bit count bounds a chunk. */
export const MAX_SAMPLES_IN_XOR_CHUNK = 0xffff;

/** Largest |time| the encoder accepts: keeps deltas and delta-of-deltas exact doubles. */
export const MAX_XOR_CHUNK_ABS_TIME_MS = 2 ** 52;

const TWO_32 = 0x100000000;

/** Samples that an XOR chunk cannot hold: times out of order, not integers, or too many. */
export class XorChunkAppendError extends M3tsError {
  readonly timeMs: number;

  constructor(timeMs: number, what: string) {
    super("M3TS_ERR_XOR_CHUNK_APPEND", `XOR chunk: cannot append time ${timeMs} ms: ${what}`);
    this.timeMs = timeMs;
  }
}

/** Bytes that are not an XOR chunk: cut short, or fields that no encoder writes. */
export class XorChunkFormatError extends M3tsError {
  constructor(what: string) {
    super("M3TS_ERR_XOR_CHUNK_FORMAT", `XOR chunk: ${what}`);
  }
}

// Value bits go through this pair of views, so a float's 64 bits are read as
// two 32-bit words (index 1 is the high word on little-endian hosts, which is
// every platform Node supports).
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Encodes samples of one series, times non-decreasing, into one XOR chunk. */
export class XorChunkEncoder {
  /** Samples appended since the last reset. */
  count = 0;
  /** Time of the first and the last sample; 0 while empty. */
  minTimeMs = 0;
  maxTimeMs = 0;
  private readonly bits = new BitWriter(256);
  private out = new Uint8Array(256);
  private tDelta = 0;
  private vHi = 0;
  private vLo = 0;
  /** The current leading/trailing zero window; 0xff while none is set, as in Prometheus. */
  private leading = 0xff;
  private trailing = 0;

  /** Empties the encoder, keeping its buffers. */
  reset(): void {
    this.bits.reset();
    this.count = 0;
    this.minTimeMs = 0;
    this.maxTimeMs = 0;
    this.tDelta = 0;
    this.vHi = 0;
    this.vLo = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  /** Appends a sample. Throws XorChunkAppendError for a time out of order or out of range. */
  append(tMs: number, v: number): void {
    F64[0] = v;
    this.appendBits(tMs, U32[1], U32[0]);
  }

  /**
   * Appends a sample whose value is given as its IEEE 754 bits (high and low
   * 32-bit words), so NaN payloads pass through untouched by the JS engine.
   */
  appendBits(tMs: number, hi: number, lo: number): void {
    const w = this.bits;
    const n = this.count;
    if (n === 0) {
      if (!Number.isInteger(tMs) || Math.abs(tMs) > MAX_XOR_CHUNK_ABS_TIME_MS) {
        throw new XorChunkAppendError(tMs, `times must be integers within ±2^52`);
      }
      // Zigzag over 64 bits: 2t for t >= 0, 2(-t - 1) + 1 for t < 0.
      const m = tMs >= 0 ? tMs : -tMs - 1;
      const mHi = Math.floor(m / TWO_32);
      const mLo = m >>> 0;
      writeUvarint64(w, ((mHi << 1) | (mLo >>> 31)) >>> 0, ((mLo << 1) | (tMs >= 0 ? 0 : 1)) >>> 0);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      this.minTimeMs = tMs;
    } else {
      if (n === MAX_SAMPLES_IN_XOR_CHUNK) {
        throw new XorChunkAppendError(tMs, `the chunk already holds ${n} samples, its most`);
      }
      // `delta >= 0` also rejects NaN; together with the bound, delta <= 2^53.
      const delta = tMs - this.maxTimeMs;
      if (!(delta >= 0) || !Number.isInteger(tMs) || tMs > MAX_XOR_CHUNK_ABS_TIME_MS) {
        throw new XorChunkAppendError(
          tMs,
          `times must be integers within ±2^52, not below the previous ${this.maxTimeMs} ms`,
        );
      }
      if (n === 1) {
        writeUvarint64(w, Math.floor(delta / TWO_32), delta >>> 0);
      } else {
        this.writeDod(delta - this.tDelta);
      }
      this.writeValue(hi, lo);
      this.tDelta = delta;
    }
    this.maxTimeMs = tMs;
    this.vHi = hi;
    this.vLo = lo;
    this.count = n + 1;
  }

  private writeDod(dod: number): void {
    const w = this.bits;
    // Bucket code and payload go out in one write where they fit in 32 bits.
    if (dod === 0) w.writeBit(0);
    else if (dod >= -8191 && dod <= 8192) w.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
    else if (dod >= -65535 && dod <= 65536) w.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
    else if (dod >= -524287 && dod <= 524288) w.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
    else {
      // |dod| <= 2^53: floor and ToUint32 give its two's complement halves exactly.
      w.writeBits(0b1111, 4);
      w.writeBits(Math.floor(dod / TWO_32) >>> 0, 32);
      w.writeBits(dod >>> 0, 32);
    }
  }

  private writeValue(hi: number, lo: number): void {
    const w = this.bits;
    const xHi = (hi ^ this.vHi) >>> 0;
    const xLo = (lo ^ this.vLo) >>> 0;
    if (xHi === 0 && xLo === 0) {
      w.writeBit(0);
      return;
    }
    let leading = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
    const trailing = xLo !== 0 ? ctz32(xLo) : 32 + ctz32(xHi);
    // Five bits hold the leading count, so it is capped at 31.
    if (leading > 31) leading = 31;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      w.writeBits(0b10, 2);
      writeShiftedRight(w, xHi, xLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    this.leading = leading;
    this.trailing = trailing;
    const sig = 64 - leading - trailing;
    // 11, leading (5 bits), significant bits (6 bits; 64 wraps to 0).
    w.writeBits((0b11 << 11) | (leading << 6) | (sig & 63), 13);
    writeShiftedRight(w, xHi, xLo, trailing, sig);
  }

  /** Bytes of the chunk: the 2-byte header and the bit stream, padded. */
  get byteLength(): number {
    return 2 + this.bits.bytesNeeded();
  }

  /** Writes the chunk into dst at offset (room for byteLength bytes); returns bytes written. */
  copyTo(dst: Uint8Array, offset: number): number {
    dst[offset] = this.count >>> 8;
    dst[offset + 1] = this.count & 0xff;
    return 2 + this.bits.copyTo(dst, offset + 2);
  }

  /** The chunk's bytes: a view valid until the next append or reset. */
  bytes(): Uint8Array {
    const need = this.byteLength;
    if (this.out.length < need) this.out = new Uint8Array(need * 2);
    return this.out.subarray(0, this.copyTo(this.out, 0));
  }
}

function ctz32(x: number): number {
  // x & -x keeps the lowest set bit; its position from the top gives the count.
  return 31 - Math.clz32(x & -x);
}

/** Writes the low n bits of (hi:lo) >>> shift, 0 <= shift < 64, n <= 64 - shift. */
function writeShiftedRight(w: BitWriter, hi: number, lo: number, shift: number, n: number): void {
  if (shift >= 32) {
    w.writeBits(hi >>> (shift - 32), n);
  } else if (shift === 0) {
    w.writeBits64(hi, lo, n);
  } else {
    w.writeBits64(hi >>> shift, ((lo >>> shift) | (hi << (32 - shift))) >>> 0, n);
  }
}

function writeUvarint64(w: BitWriter, hi: number, lo: number): void {
  while (hi !== 0 || lo >= 0x80) {
    w.writeBits((lo & 0x7f) | 0x80, 8);
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  w.writeBits(lo, 8);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Deltas reach 2^53 between times at ±2^52; still exact. */
const TWO_53 = 2 ** 53;

/**
 * Reads the samples of an XOR chunk: reset(bytes), then next() and the
 * fields timeMs and value; no allocation per sample. Times are exact or the
 * chunk is refused: a time beyond ±(2^53 - 1) ms is an XorChunkFormatError.
 */
export class XorChunkIterator {
  timeMs = 0;
  value = 0;
  /** The value's IEEE 754 bits, high and low words, for bit-exact comparisons. */
  valueHi = 0;
  valueLo = 0;
  /** Samples the header announces. */
  total = 0;
  private readonly bits = new BitReader();
  private read = 0;
  private tDelta = 0;
  private leading = 0;
  private trailing = 0;
  /** The last varint read, as two 32-bit halves. */
  private vHi = 0;
  private vLo = 0;

  /** Starts reading a chunk; throws XorChunkFormatError if it has no header. */
  reset(bytes: Uint8Array): void {
    if (bytes.length < 2) {
      throw new XorChunkFormatError(`${bytes.length} bytes, shorter than the 2-byte header`);
    }
    this.total = (bytes[0] << 8) | bytes[1];
    this.bits.reset(bytes.subarray(2));
    this.read = 0;
    this.timeMs = 0;
    this.value = 0;
    this.valueHi = 0;
    this.valueLo = 0;
    this.tDelta = 0;
    this.leading = 0;
    this.trailing = 0;
  }

  /** Moves to the next sample; false after the last. Throws XorChunkFormatError on bad bits. */
  next(): boolean {
    if (this.read >= this.total) return false;
    try {
      this.step();
    } catch (e) {
      if (e === END_OF_BITS) {
        throw new XorChunkFormatError(
          `the bit stream ends inside sample ${this.read} of ${this.total}`,
        );
      }
      throw e;
    }
    this.read++;
    U32[1] = this.valueHi;
    U32[0] = this.valueLo;
    this.value = F64[0];
    return true;
  }

  private step(): void {
    const r = this.bits;
    if (this.read === 0) {
      this.readUvarint64();
      // Undo the zigzag: m = v >>> 1; odd v means -m - 1.
      const mHi = this.vHi >>> 1;
      const m = mHi * TWO_32 + (((this.vLo >>> 1) | (this.vHi << 31)) >>> 0);
      if (mHi >= 0x200000) throw new XorChunkFormatError("the first time is beyond ±2^53 ms");
      this.timeMs = this.vLo & 1 ? -m - 1 : m;
      this.valueHi = r.readBits(32) >>> 0;
      this.valueLo = r.readBits(32) >>> 0;
      return;
    }
    let delta: number;
    if (this.read === 1) {
      // Prometheus writes the first delta as a uvarint of the int64 difference.
      this.readUvarint64();
      delta = this.exactInt64(this.vHi, this.vLo);
    } else {
      delta = this.tDelta;
      if (r.readBit() === 1) delta += this.readDod();
    }
    const t = this.timeMs + delta;
    if (!(Math.abs(delta) <= TWO_53 && Math.abs(t) <= MAX_SAFE)) {
      throw new XorChunkFormatError(`the time of sample ${this.read} is beyond ±2^53 ms`);
    }
    this.tDelta = delta;
    this.timeMs = t;
    this.readValue();
  }

  /** The dod after its leading 1 bit: the bucket code's other bits, then the payload. */
  private readDod(): number {
    const r = this.bits;
    if (r.readBit() === 0) return signed(r.readBits(14), 14);
    if (r.readBit() === 0) return signed(r.readBits(17), 17);
    if (r.readBit() === 0) return signed(r.readBits(20), 20);
    const hi = r.readBits(32);
    return this.exactInt64(hi, r.readBits(32) >>> 0);
  }

  private readValue(): void {
    const r = this.bits;
    if (r.readBit() === 0) return;
    if (r.readBit() === 1) {
      const leading = r.readBits(5);
      let sig = r.readBits(6);
      if (sig === 0) sig = 64;
      if (leading + sig > 64) {
        throw new XorChunkFormatError(
          `sample ${this.read} has ${leading} leading zeros and ${sig} significant bits, over 64`,
        );
      }
      this.leading = leading;
      this.trailing = 64 - leading - sig;
    }
    const t = this.trailing;
    const sig = 64 - this.leading - t;
    // Read the significant bits as (hi:lo), then shift them left by `trailing`.
    let hi = 0;
    let lo: number;
    if (sig > 32) {
      hi = r.readBits(sig - 32);
      lo = r.readBits(32) >>> 0;
    } else lo = r.readBits(sig) >>> 0;
    if (t >= 32) {
      hi = lo << (t - 32);
      lo = 0;
    } else if (t > 0) {
      hi = (hi << t) | (lo >>> (32 - t));
      lo <<= t;
    }
    this.valueHi = (this.valueHi ^ hi) >>> 0;
    this.valueLo = (this.valueLo ^ lo) >>> 0;
  }

  /** The int64 (hi:lo) as a number; refused beyond ±2^53, where a double would round it. */
  private exactInt64(hi: number, lo: number): number {
    const h = hi | 0;
    if (h > 0x200000 || (h === 0x200000 && lo !== 0) || h < -0x200000) {
      throw new XorChunkFormatError(`sample ${this.read} has a time delta beyond ±2^53 ms`);
    }
    return h * TWO_32 + lo;
  }

  private readUvarint64(): void {
    const r = this.bits;
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < 10; i++) {
      const b = r.readBits(8);
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi = bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        if (i === 9 && b > 1) break;
        this.vHi = hi >>> 0;
        this.vLo = lo >>> 0;
        return;
      }
    }
    throw new XorChunkFormatError(`sample ${this.read} has a varint over 64 bits`);
  }
}

/** The n-bit field v as a dod: values above 2^(n-1) stand for v - 2^n. */
function signed(v: number, n: number): number {
  return v > 1 << (n - 1) ? v - (1 << n) : v;
}
