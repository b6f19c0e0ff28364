// The M3TSZ encoder: M3's Gorilla variant with time units, annotations and the
// integer optimisation, written bit for bit as M3 writes it (M3's
// src/dbnode/encoding/m3tsz/encoder.go; docs/format/m3tsz.md). Where M3's
// integer path would not give back the exact float it was given (values within
// an ulp of a decimal, integers beyond 2^53, -0), this encoder writes the float
// path instead; M3's decoder reads both.
import {
  fitsInt64Ns,
  MAX_INT64_NS_MS,
  msToInt64Ns,
  NS_PER_MS,
  TimeUnit,
  unitName,
} from "../x/index.js";
import { BitWriter } from "./bit-writer.js";
import { FLOAT, FLOAT_HALVES, leadingZeros64, numSig, trailingZeros64 } from "./bits64.js";
import { InvalidDatapointError, OutOfOrderError } from "./errors.js";
import { type IntForm, toIntForm } from "./int-form.js";
import {
  DOD_BUCKET_BITS,
  END_OF_STREAM_BITS,
  initialUnit,
  isMultipleOfUnit,
  isWritableUnit,
  type M3tszOptions,
  MARKER_ANNOTATION,
  MARKER_BITS,
  MARKER_OPCODE,
  MARKER_TIME_UNIT,
  MAX_EXACT_INT,
  MULT_BITS,
  SIG_BITS,
  SIG_DIFF_THRESHOLD,
  SIG_REPEAT_THRESHOLD,
} from "./m3tsz-format.js";

const TWO_32 = 4294967296;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Instants strictly within +-MAX_TIME_MS fit signed 64-bit nanoseconds whatever their ns part. */
const MAX_TIME_MS = MAX_INT64_NS_MS - 1;
const scratch64 = new Uint32Array(2);
/** Result of toIntForm(), shared: encoding is synchronous, and an encoder per series must stay small. */
const conv: IntForm = { value: 0, mult: 0 };

/** Encodes one series' datapoints into an M3TSZ stream. */
export class M3tszEncoder {
  private readonly w: BitWriter;
  private readonly intOptimized: boolean;
  private readonly defaultUnit: TimeUnit;

  private startMs = 0;
  private startNs = 0;
  private count = 0;
  // Time state: the last timestamp and the last delta, as (ms, ns within ms).
  private prevMs = 0;
  private prevNs = 0;
  private deltaMs = 0;
  private deltaNs = 0;
  private unit: number = TimeUnit.None;
  private annotation: Uint8Array | null = null;

  // Value state, integer path.
  private last = 0;
  private intVal = 0;
  private maxMult = 0;
  private isFloat = false;
  private sig = 0;
  private curHighestLowerSig = 0;
  private numLowerSig = 0;
  // Value state, float path: previous float bits and previous XOR (with its zero counts).
  private floatHi = 0;
  private floatLo = 0;
  private xorLead = 64;
  private xorTrail = 0;
  // Result of toIntForm(), reused.

  /** Starts a stream whose header is the instant startMs + startNsInMs. */
  constructor(startMs: number, startNsInMs = 0, options: M3tszOptions = {}) {
    this.w = new BitWriter();
    this.intOptimized = options.intOptimized ?? true;
    this.defaultUnit = options.defaultUnit ?? TimeUnit.Second;
    this.reset(startMs, startNsInMs);
  }

  /** Empties the encoder and starts a new stream at startMs + startNsInMs, reusing its buffer. */
  reset(startMs: number, startNsInMs = 0): void {
    checkInstant("start", startMs, startNsInMs);
    this.w.reset();
    this.startMs = startMs;
    this.startNs = startNsInMs;
    this.count = 0;
    this.last = 0;
    this.prevMs = startMs;
    this.prevNs = startNsInMs;
    this.deltaMs = 0;
    this.deltaNs = 0;
    this.unit = initialUnit(startMs, startNsInMs, this.defaultUnit);
    this.annotation = null;
    this.intVal = 0;
    this.maxMult = 0;
    this.isFloat = false;
    this.sig = 0;
    this.curHighestLowerSig = 0;
    this.numLowerSig = 0;
    this.floatHi = 0;
    this.floatLo = 0;
    this.xorLead = 64;
    this.xorTrail = 0;
  }

  /** Number of datapoints written. */
  get length(): number {
    return this.count;
  }

  /** The stream header's instant, epoch milliseconds part. */
  get blockStartMs(): number {
    return this.startMs;
  }

  /** Epoch milliseconds of the last datapoint (the start if there is none). */
  get lastTimeMs(): number {
    return this.prevMs;
  }

  /** Nanoseconds within the millisecond of the last datapoint. */
  get lastNsInMs(): number {
    return this.prevNs;
  }

  /** Value of the last datapoint (0 if there is none). */
  get lastValue(): number {
    return this.last;
  }

  /**
   * Appends a datapoint that must be later than the last one; otherwise throws
   * OutOfOrderError and leaves the stream as it was.
   */
  append(
    timeMs: number,
    value: number,
    unit: number = TimeUnit.Millisecond,
    nsInMs = 0,
    annotation: Uint8Array | null = null,
  ): void {
    if (
      this.count > 0 &&
      (timeMs < this.prevMs || (timeMs === this.prevMs && nsInMs <= this.prevNs))
    ) {
      throw new OutOfOrderError(timeMs, nsInMs, this.prevMs, this.prevNs);
    }
    this.encode(timeMs, value, unit, nsInMs, annotation);
  }

  /**
   * Writes a datapoint in any time order, as M3's encoder allows. The instant
   * is timeMs + nsInMs and must be a whole number of `unit`s. A datapoint that
   * cannot be written throws InvalidDatapointError before any bit is written.
   */
  encode(
    timeMs: number,
    value: number,
    unit: number = TimeUnit.Millisecond,
    nsInMs = 0,
    annotation: Uint8Array | null = null,
  ): void {
    // The common shape, a later datapoint of a millisecond stream with no
    // annotation, skips the general checks: whole ms in range is all it needs.
    if (
      unit === TimeUnit.Millisecond &&
      unit === this.unit &&
      nsInMs === 0 &&
      annotation === null &&
      this.count > 0 &&
      this.prevNs === 0 &&
      this.deltaNs === 0 &&
      Number.isInteger(timeMs) &&
      timeMs <= MAX_TIME_MS &&
      timeMs >= -MAX_TIME_MS
    ) {
      const dMs = timeMs - this.prevMs;
      const dod = dMs - this.deltaMs;
      if (dod >= INT32_MIN && dod <= INT32_MAX) {
        this.writeDod(dod, unit);
        this.deltaMs = dMs;
        this.prevMs = timeMs;
        this.last = value;
        this.writeNextValue(value);
        this.count++;
        return;
      }
    }
    this.encodeGeneral(timeMs, value, unit, nsInMs, annotation);
  }

  private encodeGeneral(
    timeMs: number,
    value: number,
    unit: number,
    nsInMs: number,
    annotation: Uint8Array | null,
  ): void {
    checkInstant("time", timeMs, nsInMs);
    if (!isWritableUnit(unit)) {
      throw new InvalidDatapointError(
        "unit",
        `time unit ${unitName(unit)} cannot be written; use s, ms, us or ns`,
      );
    }
    if (!isMultipleOfUnit(timeMs, nsInMs, unit)) {
      throw new InvalidDatapointError(
        "time",
        `timestamp ${timeMs} ms + ${nsInMs} ns is not a whole number of ${unitName(unit)}`,
      );
    }

    // Delta and delta-of-delta as (ms, ns in [0, 1e6)).
    let dMs = timeMs - this.prevMs;
    let dNs = nsInMs - this.prevNs;
    if (dNs < 0) {
      dNs += NS_PER_MS;
      dMs -= 1;
    }
    let oMs = dMs - this.deltaMs;
    let oNs = dNs - this.deltaNs;
    if (oNs < 0) {
      oNs += NS_PER_MS;
      oMs -= 1;
    }

    const unitChanged = unit !== this.unit;
    if (unitChanged && !fitsInt64Ns(oMs, oNs)) {
      throw new InvalidDatapointError(
        "time",
        `timestamp ${timeMs} ms is too far from the previous datapoint for a 64-bit nanosecond delta`,
      );
    }
    // Both instants are whole units and so is the previous delta, so the
    // delta-of-delta divides exactly.
    let dod = 0;
    if (!unitChanged) {
      dod = dodInUnits(oMs, oNs, unit);
      if (
        unit <= TimeUnit.Millisecond
          ? dod < INT32_MIN || dod > INT32_MAX
          : !Number.isSafeInteger(dod)
      ) {
        throw new InvalidDatapointError(
          "time",
          `timestamp ${timeMs} ms is too far from the previous datapoint: its delta-of-delta, ` +
            `${dod} ${unitName(unit)}, does not fit the stream's ${unit <= TimeUnit.Millisecond ? 32 : 53}-bit range`,
        );
      }
    }

    const w = this.w;
    if (this.count === 0) {
      msToInt64Ns(this.startMs, this.startNs, scratch64);
      w.writeBits(scratch64[0], 32);
      w.writeBits(scratch64[1], 32);
    }
    if (annotation !== null && annotation.length > 0 && !sameBytes(annotation, this.annotation)) {
      this.writeAnnotation(annotation);
    }
    if (unitChanged) {
      w.writeBits((MARKER_OPCODE << 2) | MARKER_TIME_UNIT, MARKER_BITS);
      w.writeBits(unit, 8);
      this.unit = unit;
      // After a unit change the dod is raw 64-bit nanoseconds and the next
      // delta starts from zero, since the old delta may not be whole units.
      msToInt64Ns(oMs, oNs, scratch64);
      w.writeBits(scratch64[0], 32);
      w.writeBits(scratch64[1], 32);
      this.deltaMs = 0;
      this.deltaNs = 0;
    } else {
      this.writeDod(dod, unit);
      this.deltaMs = dMs;
      this.deltaNs = dNs;
    }
    this.prevMs = timeMs;
    this.prevNs = nsInMs;
    this.last = value;

    if (this.count === 0) this.writeFirstValue(value);
    else this.writeNextValue(value);
    this.count++;
  }

  /** Length in bytes of the finished stream (with its end-of-stream marker). */
  get byteLength(): number {
    if (this.count === 0) return 0;
    return (this.w.bitLength + MARKER_BITS + 7) >>> 3;
  }

  /**
   * Copies the finished stream (with its end-of-stream marker) into `dst` at
   * `offset` and returns its length. The encoder can go on appending.
   */
  copyTo(dst: Uint8Array, offset = 0): number {
    if (this.count === 0) return 0;
    return this.w.copyToWithTail(dst, offset, END_OF_STREAM_BITS, MARKER_BITS);
  }

  /** The finished stream in a new array; the encoder can go on appending. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.copyTo(out, 0);
    return out;
  }

  private writeAnnotation(annotation: Uint8Array): void {
    const w = this.w;
    w.writeBits((MARKER_OPCODE << 2) | MARKER_ANNOTATION, MARKER_BITS);
    // Go's binary.PutVarint of (length - 1): zig-zag, then 7 bits per byte.
    let zz = (annotation.length - 1) * 2;
    while (zz >= 0x80) {
      w.writeBits((zz & 0x7f) | 0x80, 8);
      zz = Math.floor(zz / 128);
    }
    w.writeBits(zz, 8);
    w.writeBytes(annotation);
    this.annotation = annotation.slice();
  }

  private writeDod(dod: number, unit: number): void {
    const w = this.w;
    if (dod === 0) {
      w.writeBit(0);
    } else if (dod >= -64 && dod <= 63) {
      w.writeBits((0b10 << 7) | (dod & 0x7f), 2 + DOD_BUCKET_BITS[0]);
    } else if (dod >= -256 && dod <= 255) {
      w.writeBits((0b110 << 9) | (dod & 0x1ff), 3 + DOD_BUCKET_BITS[1]);
    } else if (dod >= -2048 && dod <= 2047) {
      w.writeBits((0b1110 << 12) | (dod & 0xfff), 4 + DOD_BUCKET_BITS[2]);
    } else if (unit <= TimeUnit.Millisecond) {
      w.writeBits(0b1111, 4);
      w.writeBits(dod, 32);
    } else {
      w.writeBits(0b1111, 4);
      const hi = Math.floor(dod / TWO_32);
      w.writeBits(hi, 32);
      w.writeBits(dod - hi * TWO_32, 32);
    }
  }

  private writeFirstValue(v: number): void {
    const w = this.w;
    if (!this.intOptimized) {
      this.writeFullFloat(v);
      return;
    }
    if (toIntForm(v, 0, conv)) {
      w.writeBit(0);
      const val = conv.value;
      this.intVal = val;
      // The first value is a diff from 0: sign bit 1 means "add".
      const mag = val < 0 ? -val : val;
      this.writeIntSigMult(numSig(mag), conv.mult, false);
      this.writeIntDiff(mag, val >= 0);
      return;
    }
    w.writeBit(1);
    this.writeFullFloat(v);
    this.isFloat = true;
    this.maxMult = 0;
  }

  private writeNextValue(v: number): void {
    if (!this.intOptimized) {
      FLOAT[0] = v;
      this.writeXor(FLOAT_HALVES[1], FLOAT_HALVES[0], 0, 0);
      return;
    }
    if (toIntForm(v, this.maxMult, conv)) {
      const diff = this.intVal - conv.value;
      // Strictly inside 2^53 the float64 difference is exact; at 2^53 it may be rounded.
      if (diff < MAX_EXACT_INT && diff > -MAX_EXACT_INT) {
        this.writeIntVal(conv.value, conv.mult, diff);
        return;
      }
    }
    this.writeFloatVal(v);
  }

  private writeFloatVal(v: number): void {
    const w = this.w;
    if (!this.isFloat) {
      // Update, no repeat, float mode, then the full float.
      w.writeBits(0b001, 3);
      this.writeFullFloat(v);
      this.isFloat = true;
      this.maxMult = 0;
      return;
    }
    FLOAT[0] = v;
    const hi = FLOAT_HALVES[1];
    const lo = FLOAT_HALVES[0];
    if (hi === this.floatHi && lo === this.floatLo) {
      w.writeBits(0b01, 2); // update, repeat
      return;
    }
    this.writeXor(hi, lo, 1, 1); // prefix 1: no update, an XOR follows
  }

  private writeIntVal(val: number, mult: number, diff: number): void {
    const w = this.w;
    if (diff === 0 && !this.isFloat && mult === this.maxMult) {
      w.writeBits(0b01, 2); // update, repeat
      return;
    }
    // The diff is previous minus new, so a negative diff (new is larger) has sign bit 1.
    const add = diff < 0;
    const mag = add ? -diff : diff;
    const newSig = this.trackNewSig(numSig(mag));
    const floatChanged = this.isFloat;
    if (mult > this.maxMult || newSig !== this.sig || floatChanged) {
      w.writeBits(0b000, 3); // update, no repeat, int mode
      this.writeIntSigMult(newSig, mult, floatChanged);
      this.writeIntDiff(mag, add);
      this.isFloat = false;
    } else {
      w.writeBit(1); // no update
      this.writeIntDiff(mag, add);
    }
    this.intVal = val;
  }

  private writeIntSigMult(sig: number, mult: number, floatChanged: boolean): void {
    const w = this.w;
    if (sig !== this.sig) {
      if (sig === 0) w.writeBits(0b10, 2);
      else w.writeBits((0b11 << SIG_BITS) | (sig - 1), 2 + SIG_BITS);
      this.sig = sig;
    } else {
      w.writeBit(0);
    }
    if (mult > this.maxMult) {
      w.writeBits((1 << MULT_BITS) | mult, 1 + MULT_BITS);
      this.maxMult = mult;
    } else if (mult === this.maxMult && floatChanged) {
      // Re-sent after a float run so a reader that skipped it is in step.
      w.writeBits((1 << MULT_BITS) | this.maxMult, 1 + MULT_BITS);
    } else {
      w.writeBit(0);
    }
  }

  /** Writes the sign bit and `mag` in the tracked number of significant bits. */
  private writeIntDiff(mag: number, add: boolean): void {
    const sig = this.sig;
    const w = this.w;
    if (sig < 32) {
      // One write: sign on top of sig magnitude bits (<= 32 bits in all).
      w.writeBits(((add ? 1 : 0) << sig) | mag, sig + 1);
    } else {
      w.writeBit(add ? 1 : 0);
      const hi = Math.floor(mag / TWO_32);
      w.writeBits64(hi, mag - hi * TWO_32, sig);
    }
  }

  /** M3's hysteresis: grow at once, shrink only after several smaller diffs. */
  private trackNewSig(sig: number): number {
    let newSig = this.sig;
    if (sig > this.sig) {
      newSig = sig;
    } else if (this.sig - sig >= SIG_DIFF_THRESHOLD) {
      if (this.numLowerSig === 0 || sig > this.curHighestLowerSig) this.curHighestLowerSig = sig;
      this.numLowerSig++;
      if (this.numLowerSig >= SIG_REPEAT_THRESHOLD) {
        newSig = this.curHighestLowerSig;
        this.numLowerSig = 0;
      }
    } else {
      this.numLowerSig = 0;
    }
    return newSig;
  }

  private writeFullFloat(v: number): void {
    FLOAT[0] = v;
    const hi = FLOAT_HALVES[1];
    const lo = FLOAT_HALVES[0];
    this.w.writeBits(hi, 32);
    this.w.writeBits(lo, 32);
    this.floatHi = hi;
    this.floatLo = lo;
    this.xorLead = leadingZeros64(hi, lo);
    this.xorTrail = trailingZeros64(hi, lo);
  }

  /**
   * Writes the XOR of hi:lo with the previous float, after a prefix of
   * `prefixBits` (0 or 1) bits sent in the same write.
   */
  private writeXor(hi: number, lo: number, prefix: number, prefixBits: number): void {
    const w = this.w;
    const xHi = (hi ^ this.floatHi) >>> 0;
    const xLo = (lo ^ this.floatLo) >>> 0;
    this.floatHi = hi;
    this.floatLo = lo;
    if (xHi === 0 && xLo === 0) {
      w.writeBits(prefix << 1, prefixBits + 1);
      this.xorLead = 64;
      this.xorTrail = 0;
      return;
    }
    const lead = leadingZeros64(xHi, xLo);
    const trail = trailingZeros64(xHi, xLo);
    if (lead >= this.xorLead && trail >= this.xorTrail) {
      // Contained in the previous XOR's window.
      w.writeBits((prefix << 2) | 0b10, prefixBits + 2);
      writeShifted(w, xHi, xLo, this.xorTrail, 64 - this.xorLead - this.xorTrail);
    } else {
      const meaningful = 64 - lead - trail;
      w.writeBits((prefix << 14) | (0b11 << 12) | (lead << 6) | (meaningful - 1), prefixBits + 14);
      writeShifted(w, xHi, xLo, trail, meaningful);
    }
    this.xorLead = lead;
    this.xorTrail = trail;
  }
}

/** Writes the `n` bits of hi:lo that sit above its `shift` lowest bits. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, n: number): void {
  if (shift === 0) {
    w.writeBits64(hi, lo, n);
  } else if (shift < 32) {
    w.writeBits64(hi >>> shift, (lo >>> shift) | (hi << (32 - shift)), n);
  } else {
    w.writeBits(hi >>> (shift - 32), n);
  }
}

/** (ms, ns) delta-of-delta in whole units; exact because both parts are whole units. */
function dodInUnits(ms: number, ns: number, unit: number): number {
  switch (unit) {
    case TimeUnit.Millisecond:
      return ms;
    case TimeUnit.Second:
      return ms / 1000;
    case TimeUnit.Microsecond:
      return ms * 1000 + ns / 1000;
    default:
      return ms * NS_PER_MS + ns;
  }
}

function checkInstant(field: string, ms: number, ns: number): void {
  if (!Number.isSafeInteger(ms) || !Number.isInteger(ns) || ns < 0 || ns >= NS_PER_MS) {
    throw new InvalidDatapointError(
      field,
      `${field} must be integer epoch milliseconds plus 0..999999 ns, got ${ms} ms + ${ns} ns`,
    );
  }
  if (!fitsInt64Ns(ms, ns)) {
    throw new InvalidDatapointError(
      field,
      `${field} ${ms} ms is outside the range of 64-bit epoch nanoseconds (years 1678 to 2262)`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
