// A plain Gorilla codec (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory
// Time Series Database", VLDB 2015, §4.1), used only as the baseline that the
// M3TSZ benchmarks compare against. It has no integer optimisation on purpose.
//
// Stream layout, MSB first:
//   32 bits  block start in ms, high half (two's complement)
//   32 bits  block start in ms, low half
//   32 bits  number of datapoints
//   per datapoint: timestamp, then value.
// Timestamp: the delta-of-delta (dod) of epoch milliseconds. The first delta is
// taken from the block start against a previous delta of 0 (the paper spends a
// fixed 14 bits on it; one scheme for all is simpler). Buckets, value in two's
// complement with the paper's asymmetric ranges:
//   dod 0            '0'
//   [-63, 64]        '10'   + 7 bits
//   [-255, 256]      '110'  + 9 bits
//   [-2047, 2048]    '1110' + 12 bits
//   otherwise        '1111' + 32 bits  (dod must lie in [-(2^31 - 1), 2^31])
// Value: the first is written as its 64 raw bits; each later one as the XOR
// with the one before:
//   '0'   identical bits
//   '10'  meaningful bits, when the XOR's zeros cover the previous window
//   '11'  5 bits leading zeros (capped at 31), 6 bits meaningful length
//         (64 written as 0), then the meaningful bits; this sets a new window.

import { BitReader, BitWriter, END_OF_BITS } from "../src/codec/index.js";
import { M3tsError } from "../src/x/index.js";

const TWO_POW_32 = 4294967296;
const HEADER_BYTES = 12;
const MAX_COUNT = 0xffffffff;
/** The 32-bit dod bucket holds [-(2^31 - 1), 2^31]. */
const MIN_DOD_MS = -2147483647;
const MAX_DOD_MS = 2147483648;
/** No window yet: no non-zero XOR has 64 leading zeros, so '10' is never chosen. */
const NO_WINDOW_LEADING = 64;
const MAX_LEADING = 31;

// Float bits through one shared pair of views; index 0 is the low half, which
// holds on the little-endian platforms Node runs on (checked once here).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error("the Gorilla baseline requires a little-endian platform");
}

/** A datapoint the Gorilla encoder cannot write. */
export class GorillaInputError extends M3tsError {
  readonly timeMs: number;

  constructor(timeMs: number, message: string) {
    super("M3TS_ERR_GORILLA_INPUT", message);
    this.timeMs = timeMs;
  }
}

/** A Gorilla stream that ends early or holds bits the encoder never writes. */
export class GorillaCorruptError extends M3tsError {
  readonly bitOffset: number;
  readonly datapointIndex: number;

  constructor(bitOffset: number, datapointIndex: number, detail: string) {
    super(
      "M3TS_ERR_GORILLA_CORRUPT",
      `Gorilla stream corrupt at bit ${bitOffset} while reading datapoint ${datapointIndex}: ${detail}`,
    );
    this.bitOffset = bitOffset;
    this.datapointIndex = datapointIndex;
  }
}

/** Encodes one block of (epoch ms, float64) datapoints in increasing time order. */
export class GorillaEncoder {
  private readonly writer: BitWriter;
  private startMs: number;
  private count: number;
  private prevTimeMs: number;
  private prevDeltaMs: number;
  private prevHi: number;
  private prevLo: number;
  private leading: number;
  private trailing: number;

  constructor(startMs: number) {
    this.writer = new BitWriter();
    this.startMs = 0;
    this.count = 0;
    this.prevTimeMs = 0;
    this.prevDeltaMs = 0;
    this.prevHi = 0;
    this.prevLo = 0;
    this.leading = NO_WINDOW_LEADING;
    this.trailing = 0;
    this.reset(startMs);
  }

  /** Starts a new, empty block at `startMs`, keeping the buffer for reuse. */
  reset(startMs: number): void {
    if (!Number.isSafeInteger(startMs)) {
      throw new GorillaInputError(startMs, `block start ${startMs} ms is not a safe integer`);
    }
    this.writer.reset();
    this.startMs = startMs;
    this.count = 0;
    this.prevTimeMs = startMs;
    this.prevDeltaMs = 0;
    this.prevHi = 0;
    this.prevLo = 0;
    this.leading = NO_WINDOW_LEADING;
    this.trailing = 0;
  }

  /**
   * Appends a datapoint. `timeMs` is an integer after the previous datapoint's
   * (the first may equal the block start).
   */
  append(timeMs: number, value: number): void {
    if (!Number.isSafeInteger(timeMs)) {
      throw new GorillaInputError(timeMs, `timestamp ${timeMs} ms is not a safe integer`);
    }
    if (this.count === 0 ? timeMs < this.prevTimeMs : timeMs <= this.prevTimeMs) {
      throw new GorillaInputError(
        timeMs,
        `timestamp ${timeMs} ms is not after the previous ${this.count === 0 ? "block start" : "datapoint"} at ${this.prevTimeMs} ms`,
      );
    }
    if (this.count === MAX_COUNT) {
      throw new GorillaInputError(timeMs, `a block holds at most ${MAX_COUNT} datapoints`);
    }
    const deltaMs = timeMs - this.prevTimeMs;
    const dodMs = deltaMs - this.prevDeltaMs;
    if (dodMs < MIN_DOD_MS || dodMs > MAX_DOD_MS) {
      throw new GorillaInputError(
        timeMs,
        `delta of delta ${dodMs} ms at ${timeMs} ms is outside [${MIN_DOD_MS}, ${MAX_DOD_MS}]`,
      );
    }
    this.writeDod(dodMs);
    this.prevTimeMs = timeMs;
    this.prevDeltaMs = deltaMs;

    f64[0] = value;
    const lo = u32[0];
    const hi = u32[1];
    if (this.count === 0) {
      this.writer.writeBits64(hi, lo, 64);
    } else {
      this.writeXor((hi ^ this.prevHi) >>> 0, (lo ^ this.prevLo) >>> 0);
    }
    this.prevHi = hi;
    this.prevLo = lo;
    this.count++;
  }

  /** The encoded block: header and datapoints, the last byte zero-padded. */
  bytes(): Uint8Array {
    const out = new Uint8Array(HEADER_BYTES + this.writer.bytesNeeded());
    const view = new DataView(out.buffer);
    const startHi = Math.floor(this.startMs / TWO_POW_32);
    view.setUint32(0, startHi >>> 0);
    view.setUint32(4, this.startMs - startHi * TWO_POW_32);
    view.setUint32(8, this.count);
    this.writer.copyTo(out, HEADER_BYTES);
    return out;
  }

  private writeDod(dodMs: number): void {
    const w = this.writer;
    if (dodMs === 0) {
      w.writeBit(0);
    } else if (dodMs >= -63 && dodMs <= 64) {
      w.writeBits(0b10, 2);
      w.writeBits(dodMs, 7);
    } else if (dodMs >= -255 && dodMs <= 256) {
      w.writeBits(0b110, 3);
      w.writeBits(dodMs, 9);
    } else if (dodMs >= -2047 && dodMs <= 2048) {
      w.writeBits(0b1110, 4);
      w.writeBits(dodMs, 12);
    } else {
      w.writeBits(0b1111, 4);
      w.writeBits(dodMs, 32);
    }
  }

  private writeXor(xorHi: number, xorLo: number): void {
    const w = this.writer;
    if (xorHi === 0 && xorLo === 0) {
      w.writeBit(0);
      return;
    }
    const leading = xorHi !== 0 ? Math.clz32(xorHi) : 32 + Math.clz32(xorLo);
    const trailing =
      xorLo !== 0 ? 31 - Math.clz32(xorLo & -xorLo) : 63 - Math.clz32(xorHi & -xorHi);
    if (leading >= this.leading && trailing >= this.trailing) {
      w.writeBits(0b10, 2);
      writeMeaningful(w, xorHi, xorLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    const storedLeading = Math.min(leading, MAX_LEADING);
    const length = 64 - storedLeading - trailing;
    w.writeBits(0b11, 2);
    w.writeBits(storedLeading, 5);
    w.writeBits(length & 63, 6);
    writeMeaningful(w, xorHi, xorLo, trailing, length);
    this.leading = storedLeading;
    this.trailing = trailing;
  }
}

/** Writes `length` bits of hi:lo starting `shift` bits above its lowest bit. */
function writeMeaningful(
  w: BitWriter,
  hi: number,
  lo: number,
  shift: number,
  length: number,
): void {
  if (shift >= 32) {
    w.writeBits(hi >>> (shift - 32), length);
  } else if (shift > 0) {
    w.writeBits64(hi >>> shift, (lo >>> shift) | (hi << (32 - shift)), length);
  } else {
    w.writeBits64(hi, lo, length);
  }
}

/** Decodes a Gorilla block; after `next()` returns true, read `timeMs` and `value`. */
export class GorillaIterator {
  /** Timestamp of the current datapoint, epoch ms. */
  timeMs: number;
  /** Value of the current datapoint. */
  value: number;
  private readonly reader: BitReader;
  private count: number;
  private index: number;
  private prevDeltaMs: number;
  private prevHi: number;
  private prevLo: number;
  private leading: number;
  private trailing: number;

  constructor() {
    this.timeMs = 0;
    this.value = 0;
    this.reader = new BitReader();
    this.count = 0;
    this.index = 0;
    this.prevDeltaMs = 0;
    this.prevHi = 0;
    this.prevLo = 0;
    this.leading = NO_WINDOW_LEADING;
    this.trailing = 0;
  }

  /** Starts reading `bytes`, a block written by GorillaEncoder.bytes(). */
  reset(bytes: Uint8Array): void {
    if (bytes.length < HEADER_BYTES) {
      throw new GorillaCorruptError(
        bytes.length * 8,
        0,
        `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`,
      );
    }
    const r = this.reader;
    r.reset(bytes);
    const startHi = r.readBits(32) | 0;
    const startLo = r.readBits(32);
    this.count = r.readBits(32);
    this.timeMs = startHi * TWO_POW_32 + startLo;
    this.value = 0;
    this.index = 0;
    this.prevDeltaMs = 0;
    this.prevHi = 0;
    this.prevLo = 0;
    this.leading = NO_WINDOW_LEADING;
    this.trailing = 0;
  }

  /** Moves to the next datapoint; false once all the block's datapoints are read. */
  next(): boolean {
    if (this.index >= this.count) return false;
    try {
      this.readDatapoint();
    } catch (e) {
      if (e === END_OF_BITS) {
        throw new GorillaCorruptError(
          this.reader.bitOffset,
          this.index,
          `the stream ends before the ${this.count} datapoints its header announces`,
        );
      }
      throw e;
    }
    this.index++;
    return true;
  }

  private readDatapoint(): void {
    const r = this.reader;
    const deltaMs = this.prevDeltaMs + this.readDod();
    this.timeMs += deltaMs;
    this.prevDeltaMs = deltaMs;

    let hi: number;
    let lo: number;
    if (this.index === 0) {
      hi = r.readBits(32);
      lo = r.readBits(32);
    } else if (r.readBit() === 0) {
      return; // Same bits as before: `value` already holds them.
    } else {
      if (r.readBit() === 1) {
        const leading = r.readBits(5);
        const length = r.readBits(6) || 64;
        const trailing = 64 - leading - length;
        if (trailing < 0) {
          throw new GorillaCorruptError(
            r.bitOffset,
            this.index,
            `leading zeros ${leading} plus meaningful length ${length} exceed 64 bits`,
          );
        }
        this.leading = leading;
        this.trailing = trailing;
      } else if (this.leading === NO_WINDOW_LEADING) {
        throw new GorillaCorruptError(
          r.bitOffset,
          this.index,
          "control bits '10' reuse a window before any was set",
        );
      }
      this.readXor();
      hi = this.prevHi;
      lo = this.prevLo;
    }
    this.prevHi = hi;
    this.prevLo = lo;
    u32[0] = lo;
    u32[1] = hi;
    this.value = f64[0];
  }

  /** Reads the meaningful bits of a XOR in the current window into prevHi:prevLo. */
  private readXor(): void {
    const r = this.reader;
    const shift = this.trailing;
    const length = 64 - this.leading - shift;
    let mHi = 0;
    let mLo: number;
    if (length > 32) {
      mHi = r.readBits(length - 32);
      mLo = r.readBits(32);
    } else {
      mLo = r.readBits(length);
    }
    let xHi: number;
    let xLo: number;
    if (shift >= 32) {
      xHi = mLo << (shift - 32);
      xLo = 0;
    } else if (shift > 0) {
      xHi = (mHi << shift) | (mLo >>> (32 - shift));
      xLo = mLo << shift;
    } else {
      xHi = mHi;
      xLo = mLo;
    }
    this.prevHi = (this.prevHi ^ xHi) >>> 0;
    this.prevLo = (this.prevLo ^ xLo) >>> 0;
  }

  private readDod(): number {
    const r = this.reader;
    if (r.readBit() === 0) return 0;
    if (r.readBit() === 0) return signed(r.readBits(7), 64);
    if (r.readBit() === 0) return signed(r.readBits(9), 256);
    if (r.readBit() === 0) return signed(r.readBits(12), 2048);
    return signed(r.readBits(32), 2147483648);
  }
}

/**
 * Undoes a bucket's two's complement. An n-bit bucket holds [-(half - 1), half]
 * with half = 2^(n-1), so only patterns above `half` are negative.
 */
function signed(bits: number, half: number): number {
  return bits > half ? bits - 2 * half : bits;
}
