// Decodes an M3TSZ stream one datapoint at a time without allocating per
// datapoint: call next(), then read the fields. Mirrors M3's reader iterator
// (src/dbnode/encoding/m3tsz/iterator.go and timestamp_iterator.go) but stops
// with a StreamCorruptError where M3 would read on with made-up state
// (unknown time units, EOF inside an opcode).
import {
  fitsInt64Ns,
  int64NsToMs,
  MAX_INT64_NS_MS,
  NS_PER_MS,
  TimeUnit,
  unitName,
} from "../x/index.js";
import { BitReader, END_OF_BITS, FILL_BITS } from "./bit-reader.js";
import { floatFromBits, leadingZeros64, trailingZeros64 } from "./bits64.js";
import { StreamCorruptError, type StreamErrorKind } from "./errors.js";
import {
  DOD_BUCKET_BITS,
  defaultBucketBits,
  initialUnit,
  isWritableUnit,
  type M3tszOptions,
  MARKER_ANNOTATION,
  MARKER_BITS,
  MARKER_END_OF_STREAM,
  MARKER_OPCODE,
  MARKER_TIME_UNIT,
  MAX_MULT,
  MULT_BITS,
  MULTIPLIERS,
  SIG_BITS,
} from "./m3tsz-format.js";

const TWO_32 = 4294967296;
const scratchTime = new Float64Array(2);

/** Thrown inside the iterator for a stream fault; next() turns it into `error`. */
class Fault extends Error {
  readonly kind: StreamErrorKind;
  readonly detail: string;
  constructor(kind: StreamErrorKind, detail: string) {
    super(detail);
    this.kind = kind;
    this.detail = detail;
  }
}

/** Iterates the datapoints of one M3TSZ stream. */
export class M3tszIterator {
  /** Epoch milliseconds of the current datapoint. */
  timeMs = 0;
  /** Nanoseconds within the millisecond of the current datapoint (0..999999). */
  nsInMs = 0;
  /** Value of the current datapoint. */
  value = 0;
  /** Time unit of the current datapoint. */
  unit: number = TimeUnit.None;
  /** The annotation in force (the last one written), or null if none was. */
  annotation: Uint8Array | null = null;
  /** True when the annotation was written at the current datapoint. */
  annotationChanged = false;
  /** Why iteration stopped early; null after a clean end. */
  error: StreamCorruptError | null = null;

  private readonly r: BitReader;
  private readonly intOptimized: boolean;
  private readonly defaultUnit: number;
  private done = true;
  private index = 0;
  // Time state, as (ms, ns within ms).
  private deltaMs = 0;
  private deltaNs = 0;
  private unitChanged = false;
  // Value state.
  private intVal = 0;
  private mult = 0;
  private sig = 0;
  private isFloat = false;
  private floatHi = 0;
  private floatLo = 0;
  private xorLead = 64;
  private xorTrail = 0;

  constructor(bytes: Uint8Array | null = null, options: M3tszOptions = {}) {
    this.r = new BitReader();
    this.intOptimized = options.intOptimized ?? true;
    this.defaultUnit = options.defaultUnit ?? TimeUnit.Second;
    if (bytes !== null) this.reset(bytes);
  }

  /** Starts iterating `bytes` from the beginning, reusing this iterator. */
  reset(bytes: Uint8Array): void {
    this.r.reset(bytes);
    this.done = bytes.length === 0;
    this.index = 0;
    this.error = null;
    this.timeMs = 0;
    this.nsInMs = 0;
    this.value = 0;
    this.unit = TimeUnit.None;
    this.annotation = null;
    this.annotationChanged = false;
    this.deltaMs = 0;
    this.deltaNs = 0;
    this.unitChanged = false;
    this.intVal = 0;
    this.mult = 0;
    this.sig = 0;
    this.isFloat = false;
    this.floatHi = 0;
    this.floatLo = 0;
    this.xorLead = 64;
    this.xorTrail = 0;
  }

  /** Number of datapoints read so far. */
  get count(): number {
    return this.index;
  }

  /** Moves to the next datapoint; false at the end of the stream or on error. */
  next(): boolean {
    if (this.done) return false;
    const r = this.r;
    const at = r.bitOffset;
    try {
      // Fast path: a later datapoint of a millisecond stream whose dod has a
      // bucket code (decided by one 16-bit peek); everything else, markers
      // included, goes the general way.
      if (
        this.index > 0 &&
        this.unit === TimeUnit.Millisecond &&
        !this.unitChanged &&
        r.fill() >= 16
      ) {
        const w = r.peekCached(16);
        let dod = 0;
        let used = 0;
        if (w < 0x8000) used = 1;
        else if (w < 0xc000) {
          if ((w & 0x3f80) !== 0) {
            used = 9;
            dod = (w << 18) >> 25;
          }
        } else if (w < 0xe000) {
          used = 12;
          dod = (w << 19) >> 23;
        } else if (w < 0xf000) {
          used = 16;
          dod = (w << 20) >> 20;
        }
        if (used !== 0) {
          r.consumeCached(used);
          const deltaMs = this.deltaMs + dod;
          const ms = this.timeMs + deltaMs;
          const ns = this.nsInMs + this.deltaNs;
          if (ns >= NS_PER_MS || ms >= MAX_INT64_NS_MS || ms <= -MAX_INT64_NS_MS) {
            this.deltaMs = deltaMs;
            this.advanceTime();
          } else {
            this.deltaMs = deltaMs;
            this.timeMs = ms;
            this.nsInMs = ns;
          }
          this.annotationChanged = false;
          this.readNextValue();
          this.index++;
          return true;
        }
      }
      return this.nextGeneral();
    } catch (e) {
      this.done = true;
      if (e === END_OF_BITS) {
        this.error = this.corrupt("truncated", at, "the stream ends inside this datapoint");
      } else if (e instanceof Fault) {
        this.error = this.corrupt(e.kind, at, e.detail);
      } else {
        throw e;
      }
      return false;
    }
  }

  private nextGeneral(): boolean {
    const first = this.index === 0;
    if (first) this.readStart();
    this.annotationChanged = false;
    if (!this.readMarkersAndDod()) {
      this.done = true;
      return false;
    }
    this.advanceTime();
    if (this.unitChanged) {
      this.deltaMs = 0;
      this.deltaNs = 0;
      this.unitChanged = false;
    }
    if (first) this.readFirstValue();
    else this.readNextValue();
    this.index++;
    return true;
  }

  /** time += delta, checking the range of 64-bit nanoseconds. */
  private advanceTime(): void {
    let ms = this.timeMs + this.deltaMs;
    let ns = this.nsInMs + this.deltaNs;
    if (ns >= NS_PER_MS) {
      ns -= NS_PER_MS;
      ms += 1;
    }
    if (!fitsInt64Ns(ms, ns)) {
      throw new Fault("time-out-of-range", `timestamp ${ms} ms is outside 64-bit nanoseconds`);
    }
    this.timeMs = ms;
    this.nsInMs = ns;
  }

  private corrupt(kind: StreamErrorKind, at: number, detail: string): StreamCorruptError {
    return new StreamCorruptError(kind, at, this.index, detail);
  }

  /** Reads the 64-bit stream start; the current time starts there. */
  private readStart(): void {
    const hi = this.r.readBits(32);
    const lo = this.r.readBits(32);
    int64NsToMs(hi, lo, scratchTime);
    this.timeMs = scratchTime[0];
    this.nsInMs = scratchTime[1];
    this.unit = initialUnit(this.timeMs, this.nsInMs, this.defaultUnit);
  }

  /**
   * Reads markers up to the next delta-of-delta and adds it to the delta.
   * Returns false at the end-of-stream marker.
   */
  private readMarkersAndDod(): boolean {
    const r = this.r;
    // Fast path for the common bucketed dods: one peek at 16 bits decides.
    // A 10-bucket value of 0 is never a dod (that is the zero bucket) but the
    // start of a marker, so it goes the slow way.
    if (!this.unitChanged && this.unit !== TimeUnit.None && r.fill() >= 16) {
      const w = r.peekCached(16);
      if (w < 0x8000) {
        r.consumeCached(1); // 0: dod of zero, the delta stays
        return true;
      }
      if (w < 0xc000) {
        const v = (w >>> 7) & 0x7f;
        if (v !== 0) {
          r.consumeCached(9);
          this.addDodUnits((v << 25) >> 25);
          return true;
        }
      } else if (w < 0xe000) {
        r.consumeCached(12);
        this.addDodUnits((w << 19) >> 23);
        return true;
      } else if (w < 0xf000) {
        r.consumeCached(16);
        this.addDodUnits((w << 20) >> 20);
        return true;
      }
    }
    for (;;) {
      const peek = r.peekBits(MARKER_BITS);
      // Every datapoint is followed at least by the 11-bit end marker, so
      // fewer bits than that where a timestamp starts means a cut stream.
      if (peek < 0) throw END_OF_BITS;
      if (peek >>> 2 !== MARKER_OPCODE) break;
      const marker = peek & 3;
      if (marker === MARKER_END_OF_STREAM) {
        r.skipBits(MARKER_BITS);
        return false;
      }
      if (marker === MARKER_ANNOTATION) {
        r.skipBits(MARKER_BITS);
        this.readAnnotation();
      } else if (marker === MARKER_TIME_UNIT) {
        r.skipBits(MARKER_BITS);
        const unit = r.readBits(8);
        if (!isWritableUnit(unit)) {
          throw new Fault(
            "invalid-time-unit",
            `time unit byte ${unit} (${unitName(unit)}) has no timestamp scheme`,
          );
        }
        if (unit !== this.unit) this.unitChanged = true;
        this.unit = unit;
      } else {
        break; // value 3 is no marker: the bits are a delta-of-delta
      }
    }
    this.readDod();
    return true;
  }

  private readDod(): void {
    const r = this.r;
    if (this.unitChanged) {
      // Raw signed 64-bit nanoseconds after a unit change.
      const hi = r.readBits(32);
      const lo = r.readBits(32);
      int64NsToMs(hi, lo, scratchTime);
      this.addDod(scratchTime[0], scratchTime[1]);
      return;
    }
    const unit = this.unit;
    if (unit === TimeUnit.None) {
      throw new Fault(
        "invalid-time-unit",
        "a timestamp needs a time unit but the stream has set none",
      );
    }
    if (r.readBit() === 0) {
      this.addDod(0, 0);
      return;
    }
    // Bucket opcodes 10, 110, 1110, 1111: count the ones after the first.
    let ones = 1;
    while (ones < 4 && r.readBit() === 1) ones++;
    const bits = ones < 4 ? DOD_BUCKET_BITS[ones - 1] : defaultBucketBits(unit);
    let dod: number;
    if (bits <= 32) {
      const v = r.readBits(bits);
      dod = (v << (32 - bits)) >> (32 - bits); // sign-extend
    } else {
      const hi = r.readBits(32);
      const lo = r.readBits(32);
      if (unit === TimeUnit.Nanosecond) {
        int64NsToMs(hi, lo, scratchTime);
        this.addDod(scratchTime[0], scratchTime[1]);
        return;
      }
      dod = (hi | 0) * TWO_32 + lo;
      if (!Number.isSafeInteger(dod)) {
        throw new Fault(
          "time-out-of-range",
          `delta-of-delta of ${dod} ${unitName(unit)} is too large`,
        );
      }
    }
    this.addDodUnits(dod);
  }

  /** delta += a delta-of-delta counted in the current unit. */
  private addDodUnits(dod: number): void {
    switch (this.unit) {
      case TimeUnit.Millisecond:
        this.addDod(dod, 0);
        return;
      case TimeUnit.Second:
        this.addDod(dod * 1000, 0);
        return;
      case TimeUnit.Microsecond: {
        const ms = Math.floor(dod / 1000);
        this.addDod(ms, (dod - ms * 1000) * 1000);
        return;
      }
      default: {
        const ms = Math.floor(dod / NS_PER_MS);
        this.addDod(ms, dod - ms * NS_PER_MS);
        return;
      }
    }
  }

  /** delta += dod, with ns kept in [0, 1e6). */
  private addDod(ms: number, ns: number): void {
    let dMs = this.deltaMs + ms;
    let dNs = this.deltaNs + ns;
    if (dNs >= NS_PER_MS) {
      dNs -= NS_PER_MS;
      dMs += 1;
    }
    if (dMs > 2 * MAX_INT64_NS_MS || dMs < -2 * MAX_INT64_NS_MS) {
      throw new Fault("time-out-of-range", `time delta of ${dMs} ms is outside 64-bit nanoseconds`);
    }
    this.deltaMs = dMs;
    this.deltaNs = dNs;
  }

  private readAnnotation(): void {
    const r = this.r;
    // Go's binary.ReadVarint: zig-zag, 7 bits per byte, at most 10 bytes.
    let ux = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = r.readBits(8);
      if (i === 9 && b > 1)
        throw new Fault("invalid-annotation", "annotation length varint overflows 64 bits");
      ux += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
      if (i === 9)
        throw new Fault("invalid-annotation", "annotation length varint is longer than 10 bytes");
    }
    // Zig-zag decode; the length stored is (length - 1).
    const lenMinus1 = ux % 2 === 0 ? ux / 2 : -(ux + 1) / 2;
    const length = lenMinus1 + 1;
    if (length <= 0) {
      throw new Fault("invalid-annotation", `annotation length ${length} is not positive`);
    }
    if (length * 8 > r.bitsLeft) throw END_OF_BITS;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = r.readBits(8);
    this.annotation = out;
    this.annotationChanged = true;
  }

  private readFirstValue(): void {
    const r = this.r;
    if (!this.intOptimized) {
      this.readFullFloat();
      return;
    }
    if (r.readBit() === 1) {
      this.readFullFloat();
      this.isFloat = true;
      return;
    }
    this.readIntSigMult();
    this.readIntDiff();
    this.value = this.intValue();
  }

  private readNextValue(): void {
    const r = this.r;
    // Fast path: an int diff with unchanged parameters is `1`, sign, sig bits.
    const n = this.sig + 2;
    if (!this.isFloat && n <= FILL_BITS && this.intOptimized && r.fill() >= n) {
      const w = r.peekCached(n);
      if (w >>> (n - 1) === 1) {
        r.consumeCached(n);
        const mag = w & (0x7fffffff >>> (31 - this.sig));
        this.intVal += (w >>> this.sig) & 1 ? mag : -mag;
        this.value = this.intValue();
        return;
      }
    }
    if (!this.intOptimized) {
      this.readXor();
      return;
    }
    if (r.readBit() === 0) {
      // Update: repeat, switch to float, or new int parameters.
      if (r.readBit() === 1) return;
      if (r.readBit() === 1) {
        this.readFullFloat();
        this.isFloat = true;
        return;
      }
      this.readIntSigMult();
      this.readIntDiff();
      this.isFloat = false;
    } else if (this.isFloat) {
      this.readXor();
      return;
    } else {
      this.readIntDiff();
    }
    this.value = this.intValue();
  }

  /** The int-mode value: I, or I / 10^M (a division, as M3 reads it, so decimals come back exactly). */
  private intValue(): number {
    return this.mult === 0 ? this.intVal : this.intVal / MULTIPLIERS[this.mult];
  }

  private readIntSigMult(): void {
    const r = this.r;
    if (r.readBit() === 1) {
      this.sig = r.readBit() === 0 ? 0 : r.readBits(SIG_BITS) + 1;
    }
    if (r.readBit() === 1) {
      const mult = r.readBits(MULT_BITS);
      if (mult > MAX_MULT)
        throw new Fault("invalid-multiplier", `decimal multiplier ${mult} is above ${MAX_MULT}`);
      this.mult = mult;
    }
  }

  /** Reads a sign bit and `sig` magnitude bits; sign 1 adds, 0 subtracts (M3's convention). */
  private readIntDiff(): void {
    const r = this.r;
    const sig = this.sig;
    if (sig < 32) {
      const bits = r.readBits(sig + 1);
      const mag = sig === 0 ? 0 : bits & (0xffffffff >>> (32 - sig));
      this.intVal += bits >>> sig === 1 ? mag : -mag;
      return;
    }
    const add = r.readBit() === 1;
    const hi = r.readBits(sig - 32);
    const lo = r.readBits(32);
    const mag = hi * TWO_32 + lo;
    this.intVal += add ? mag : -mag;
  }

  private readFullFloat(): void {
    const hi = this.r.readBits(32);
    const lo = this.r.readBits(32);
    this.floatHi = hi;
    this.floatLo = lo;
    this.xorLead = leadingZeros64(hi, lo);
    this.xorTrail = trailingZeros64(hi, lo);
    this.value = floatFromBits(hi, lo);
  }

  private readXor(): void {
    const r = this.r;
    if (r.readBit() === 0) {
      this.xorLead = 64;
      this.xorTrail = 0;
      return; // value unchanged
    }
    let lead: number;
    let trail: number;
    let meaningful: number;
    if (r.readBit() === 0) {
      lead = this.xorLead;
      trail = this.xorTrail;
      meaningful = 64 - lead - trail;
    } else {
      const header = r.readBits(12);
      lead = header >>> 6;
      meaningful = (header & 63) + 1;
      trail = 64 - lead - meaningful;
      if (trail < 0) {
        throw new Fault(
          "invalid-xor",
          `XOR window of ${lead} leading and ${meaningful} meaningful bits exceeds 64`,
        );
      }
    }
    // Read `meaningful` bits and place them `trail` bits up.
    let xHi: number;
    let xLo: number;
    if (meaningful > 32) {
      const mHi = r.readBits(meaningful - 32);
      const mLo = r.readBits(32);
      // trail < 32 here since meaningful > 32.
      xHi = trail === 0 ? mHi : ((mHi << trail) | (mLo >>> (32 - trail))) >>> 0;
      xLo = (mLo << trail) >>> 0;
    } else {
      const m = r.readBits(meaningful);
      if (trail >= 32) {
        xHi = (m << (trail - 32)) >>> 0;
        xLo = 0;
      } else {
        xHi = trail === 0 ? 0 : m >>> (32 - trail);
        xLo = (m << trail) >>> 0;
      }
    }
    this.floatHi = (this.floatHi ^ xHi) >>> 0;
    this.floatLo = (this.floatLo ^ xLo) >>> 0;
    // M3 recomputes the window from the XOR it just read.
    this.xorLead = leadingZeros64(xHi, xLo);
    this.xorTrail = trailingZeros64(xHi, xLo);
    this.value = floatFromBits(this.floatHi, this.floatLo);
  }
}
