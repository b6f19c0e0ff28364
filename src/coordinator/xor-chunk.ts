// Prometheus's XOR chunk (tsdb/chunkenc/xor.go), the encoding of streamed
// remote read: a 2-byte big-endian sample count, then a bit stream: the
// first sample as a zigzag varint time and 64 raw value bits; the second as
// a varint time delta and an XOR value; later ones as a delta-of-delta in
// buckets of 14, 17, 20 or 64 bits and an XOR value that reuses the previous
// leading/trailing zero window when it fits. Times are int64 milliseconds,
// handled as exact doubles (|t| < 2^53) and 32-bit halves.
import { BitReader, BitWriter, END_OF_BITS } from "../codec/index.js";
import { M3tsError } from "../x/index.js";

/** Prometheus cuts a chunk at this many samples. */
export const MAX_SAMPLES_PER_CHUNK = 120;

const F = new Float64Array(1);
const H = new Uint32Array(F.buffer);

export class XorChunkEncoder {
  count = 0;
  minTimeMs = 0;
  maxTimeMs = 0;
  private readonly bits = new BitWriter(256);
  private out = new Uint8Array(256);
  private t = 0;
  private tDelta = 0;
  private vHi = 0;
  private vLo = 0;
  private leading = 0xff;
  private trailing = 0;

  reset(): void {
    this.bits.reset();
    this.count = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  append(tMs: number, v: number): void {
    F[0] = v;
    const hi = H[1];
    const lo = H[0];
    const w = this.bits;
    if (this.count === 0) {
      writeVarintBytes(w, tMs >= 0 ? tMs * 2 : -tMs * 2 - 1);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      this.minTimeMs = tMs;
    } else if (this.count === 1) {
      const delta = tMs - this.t;
      if (delta < 0)
        throw new RangeError(`XOR chunk times must not decrease: ${tMs} after ${this.t}`);
      writeVarintBytes(w, delta);
      this.writeValue(hi, lo);
      this.tDelta = delta;
    } else {
      const delta = tMs - this.t;
      if (delta < 0)
        throw new RangeError(`XOR chunk times must not decrease: ${tMs} after ${this.t}`);
      const dod = delta - this.tDelta;
      if (dod === 0) w.writeBit(0);
      else if (dod >= -8191 && dod <= 8192) {
        w.writeBits(0b10, 2);
        w.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -65535 && dod <= 65536) {
        w.writeBits(0b110, 3);
        w.writeBits(dod & 0x1ffff, 17);
      } else if (dod >= -524287 && dod <= 524288) {
        w.writeBits(0b1110, 4);
        w.writeBits(dod & 0xfffff, 20);
      } else {
        w.writeBits(0b1111, 4);
        w.writeBits(Math.floor(dod / 0x100000000) >>> 0, 32);
        w.writeBits(dod >>> 0, 32);
      }
      this.writeValue(hi, lo);
      this.tDelta = delta;
    }
    this.t = tMs;
    this.maxTimeMs = tMs;
    this.vHi = hi;
    this.vLo = lo;
    this.count++;
  }

  private writeValue(hi: number, lo: number): void {
    const w = this.bits;
    const dHi = (hi ^ this.vHi) >>> 0;
    const dLo = (lo ^ this.vLo) >>> 0;
    if (dHi === 0 && dLo === 0) {
      w.writeBit(0);
      return;
    }
    w.writeBit(1);
    let leading = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
    const trailing = dLo !== 0 ? 31 - Math.clz32(dLo & -dLo) : 63 - Math.clz32(dHi & -dHi);
    if (leading >= 32) leading = 31;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      w.writeBit(0);
      writeShifted(w, dHi, dLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    this.leading = leading;
    this.trailing = trailing;
    w.writeBit(1);
    w.writeBits(leading, 5);
    const sig = 64 - leading - trailing;
    w.writeBits(sig & 63, 6);
    writeShifted(w, dHi, dLo, trailing, sig);
  }

  /** The chunk's bytes (a view valid until the next append or reset). */
  bytes(): Uint8Array {
    const need = 2 + this.bits.bytesNeeded();
    if (this.out.length < need) this.out = new Uint8Array(need * 2);
    this.out[0] = this.count >>> 8;
    this.out[1] = this.count & 0xff;
    const n = this.bits.copyTo(this.out, 2);
    return this.out.subarray(0, 2 + n);
  }
}

/** Writes the low `n` bits of (hi:lo) >> shift. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, n: number): void {
  let sHi: number;
  let sLo: number;
  if (shift === 0) {
    sHi = hi;
    sLo = lo;
  } else if (shift < 32) {
    sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    sHi = hi >>> shift;
  } else {
    sLo = hi >>> (shift - 32);
    sHi = 0;
  }
  w.writeBits64(sHi, sLo, n);
}

function writeVarintBytes(w: BitWriter, v: number): void {
  while (v >= 0x80) {
    w.writeBits((v % 0x80) | 0x80, 8);
    v = Math.floor(v / 0x80);
  }
  w.writeBits(v, 8);
}

/** Bytes that are not an XOR chunk. */
export class XorChunkFormatError extends M3tsError {
  constructor(what: string) {
    super("M3TS_ERR_XOR_CHUNK_FORMAT", `XOR chunk: ${what}`);
  }
}

const BUCKET_BITS = [14, 17, 20, 64];

export class XorChunkIterator {
  timeMs = 0;
  value = 0;
  private readonly bits = new BitReader();
  private total = 0;
  private read = 0;
  private tDelta = 0;
  private hi = 0;
  private lo = 0;
  private leading = 0;
  private trailing = 0;

  reset(bytes: Uint8Array): void {
    if (bytes.length < 2)
      throw new XorChunkFormatError(`${bytes.length} bytes, shorter than its header`);
    this.total = (bytes[0] << 8) | bytes[1];
    this.bits.reset(bytes.subarray(2));
    this.read = 0;
    this.leading = 0;
    this.trailing = 0;
  }

  /** Moves to the next sample; false at the end. Throws XorChunkFormatError on truncated bits. */
  next(): boolean {
    if (this.read >= this.total) return false;
    try {
      this.step();
    } catch (e) {
      if (e === END_OF_BITS)
        throw new XorChunkFormatError(`cut short at sample ${this.read} of ${this.total}`);
      throw e;
    }
    this.read++;
    return true;
  }

  private step(): void {
    const r = this.bits;
    if (this.read === 0) {
      const zz = readVarint(r);
      this.timeMs = zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2;
      this.hi = r.readBits(32) >>> 0;
      this.lo = r.readBits(32) >>> 0;
    } else if (this.read === 1) {
      this.tDelta = readVarint(r);
      this.timeMs += this.tDelta;
      this.readValue();
    } else {
      let dod = 0;
      if (r.readBit() === 1) {
        // The bucket's code is 10, 110, 1110 or 1111: count further 1 bits, at most three.
        let ones = 0;
        while (ones < 3 && r.readBit() === 1) ones++;
        const size = BUCKET_BITS[ones];
        if (size === 64) {
          const hi = r.readBits(32) >>> 0;
          const lo = r.readBits(32) >>> 0;
          dod = (hi | 0) * 0x100000000 + lo;
        } else {
          dod = r.readBits(size);
          if (dod > 2 ** (size - 1)) dod -= 2 ** size;
        }
      }
      this.tDelta += dod;
      this.timeMs += this.tDelta;
      this.readValue();
    }
    H[1] = this.hi;
    H[0] = this.lo;
    this.value = F[0];
  }

  private readValue(): void {
    const r = this.bits;
    if (r.readBit() === 0) return;
    if (r.readBit() === 1) {
      this.leading = r.readBits(5);
      let sig = r.readBits(6);
      if (sig === 0) sig = 64;
      this.trailing = 64 - this.leading - sig;
    }
    const sig = 64 - this.leading - this.trailing;
    let hi = 0;
    let lo = 0;
    if (sig > 32) {
      hi = r.readBits(sig - 32) >>> 0;
      lo = r.readBits(32) >>> 0;
    } else lo = r.readBits(sig) >>> 0;
    // Shift (hi:lo) left by trailing, then XOR into the value.
    const t = this.trailing;
    let dHi: number;
    let dLo: number;
    if (t === 0) {
      dHi = hi;
      dLo = lo;
    } else if (t < 32) {
      dHi = ((hi << t) | (lo >>> (32 - t))) >>> 0;
      dLo = (lo << t) >>> 0;
    } else {
      dHi = (lo << (t - 32)) >>> 0;
      dLo = 0;
    }
    this.hi = (this.hi ^ dHi) >>> 0;
    this.lo = (this.lo ^ dLo) >>> 0;
  }
}

function readVarint(r: BitReader): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.readBits(8);
    v += (b & 0x7f) * mul;
    if (b < 0x80) return v;
    mul *= 128;
  }
  throw new XorChunkFormatError("varint longer than 10 bytes");
}
