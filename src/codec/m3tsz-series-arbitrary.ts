// Random M3TSZ series for the codec's property tests: values of every kind
// (any double, raw bit patterns with NaN payloads, counters, decimals, big
// integers, constant runs), instants in every writable unit with regular,
// jittered, sub-millisecond and day-long gaps, and annotations; and the check
// that a series decodes back exactly. Values travel as 16-hex-digit bit
// patterns so NaN payloads survive.
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatNs, TimeUnit } from "../x/index.js";
import { M3tszEncoder, M3tszIterator, type M3tszOptions } from "./index.js";

/** The fast-check seed of every property, so a failure replays. */
export const SEED = 42;
/** Runs of a property unless it says otherwise. */
export const RUNS = 500;
const MAX_POINTS = 200;

/** The time units the encoder writes. */
export const WRITABLE_UNITS = [
  TimeUnit.Second,
  TimeUnit.Millisecond,
  TimeUnit.Microsecond,
  TimeUnit.Nanosecond,
] as const;
type WritableUnit = (typeof WRITABLE_UNITS)[number];
const UNIT_NS: Record<WritableUnit, bigint> = {
  [TimeUnit.Second]: 1_000_000_000n,
  [TimeUnit.Millisecond]: 1_000_000n,
  [TimeUnit.Microsecond]: 1000n,
  [TimeUnit.Nanosecond]: 1n,
};
const SECOND = 1_000_000_000n;
const DAY = 86_400n * SECOND;

// --- value bits -------------------------------------------------------------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function hexOf(v: number): string {
  f64[0] = v;
  return u32[1].toString(16).padStart(8, "0") + u32[0].toString(16).padStart(8, "0");
}

function hexOfHalves(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

function floatOfBits(hex: string): number {
  u32[1] = Number.parseInt(hex.slice(0, 8), 16);
  u32[0] = Number.parseInt(hex.slice(8), 16);
  return f64[0];
}

// --- series -----------------------------------------------------------------

export interface Point {
  ns: bigint;
  unit: WritableUnit;
  /** The value's IEEE-754 bits as 16 hex digits. */
  value: string;
  annotation: Uint8Array | null;
}

export interface Series {
  options: Required<M3tszOptions>;
  startNs: bigint;
  points: Point[];
}

/** The (floored epoch ms, ns within ms) form of an instant. */
export function split(ns: bigint): [number, number] {
  let ms = ns / 1_000_000n;
  let rem = ns - ms * 1_000_000n;
  if (rem < 0n) {
    rem += 1_000_000n;
    ms -= 1n;
  }
  return [Number(ms), Number(rem)];
}

function roundUp(ns: bigint, step: bigint): bigint {
  const r = ((ns % step) + step) % step;
  return r === 0n ? ns : ns + (step - r);
}

/** How a datapoint reads back: the instant as decimal ns, its unit and its value bits. */
interface Seen {
  t: string;
  unit: number;
  value: string;
}

/** The points as the iterator should report them. */
export function expected(points: readonly Point[]): Seen[] {
  return points.map((p) => ({ t: p.ns.toString(), unit: p.unit, value: p.value }));
}

/** A new encoder at the series' block start, with its options. */
export function encoderFor(s: Series): M3tszEncoder {
  const [ms, ns] = split(s.startNs);
  return new M3tszEncoder(ms, ns, s.options);
}

/** Appends the points in order (append() refuses any out of order). */
export function appendAll(enc: M3tszEncoder, points: readonly Point[]): void {
  for (const p of points) {
    const [ms, ns] = split(p.ns);
    enc.append(ms, floatOfBits(p.value), p.unit, ns, p.annotation);
  }
}

function encodeAll(enc: M3tszEncoder, points: readonly Point[]): void {
  for (const p of points) {
    const [ms, ns] = split(p.ns);
    enc.encode(ms, floatOfBits(p.value), p.unit, ns, p.annotation);
  }
}

/** Decodes a whole stream, failing if the iterator reports a fault. */
export function decode(it: M3tszIterator, bytes: Uint8Array): Seen[] {
  it.reset(bytes);
  const out: Seen[] = [];
  while (it.next()) {
    assert.ok(
      Number.isInteger(it.nsInMs) && it.nsInMs >= 0 && it.nsInMs < 1_000_000,
      `nsInMs ${it.nsInMs}`,
    );
    out.push({ t: formatNs(it.timeMs, it.nsInMs), unit: it.unit, value: hexOf(it.value) });
  }
  assert.equal(it.error, null, `decoding failed after ${out.length} points: ${it.error?.message}`);
  assert.equal(it.count, out.length);
  return out;
}

/** The annotation in force at each point, as the iterator should report it. */
function expectedAnnotations(points: readonly Point[]): (string | null)[] {
  let current: string | null = null;
  return points.map((p) => {
    if (p.annotation !== null && p.annotation.length > 0)
      current = Buffer.from(p.annotation).toString("hex");
    return current;
  });
}

/** Encodes the series, by append() or encode(), checks it decodes back exactly, annotations included, and returns the stream. */
export function checkRoundTrip(s: Series, order: "append" | "encode" = "append"): Uint8Array {
  const enc = encoderFor(s);
  if (order === "append") appendAll(enc, s.points);
  else encodeAll(enc, s.points);
  assert.equal(enc.length, s.points.length);
  const bytes = enc.bytes();
  assert.equal(bytes.length, enc.byteLength);
  const it = new M3tszIterator(null, s.options);
  assert.deepEqual(decode(it, bytes), expected(s.points));
  // Annotations: the one in force at each point.
  it.reset(bytes);
  const seen: (string | null)[] = [];
  while (it.next())
    seen.push(it.annotation === null ? null : Buffer.from(it.annotation).toString("hex"));
  assert.deepEqual(seen, expectedAnnotations(s.points));
  return bytes;
}

// --- arbitraries: values ------------------------------------------------------

const u32Arb = fc.integer({ min: 0, max: 0xffffffff });

/** Any double fast-check makes: NaN, ±Inf, -0, subnormals, extremes. */
export const doubleHex = fc.double().map(hexOf);

/** Raw 64-bit patterns, with NaNs of every payload and sign weighted up. */
export const rawBitsHex = fc.oneof(
  fc.tuple(u32Arb, u32Arb).map(([hi, lo]) => hexOfHalves(hi, lo)),
  fc
    .tuple(fc.boolean(), fc.integer({ min: 0, max: 0xfffff }), u32Arb)
    .map(([neg, payloadHi, lo]) => hexOfHalves((neg ? 0xfff00000 : 0x7ff00000) + payloadHi, lo)),
  fc.constantFrom(
    "7ff0000000000002", // Prometheus's stale marker
    "7ff8000000000000",
    "fff8000000000000",
    "7ff0000000000001",
    "7fffffffffffffff",
    "0000000000000001",
    "800fffffffffffff",
  ),
);

const smallIntHex = fc.integer({ min: -1000, max: 1000 }).map(hexOf);

const decimalHex = fc
  .tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 1, max: 6 }))
  .map(([i, places]) => hexOf(i / 10 ** places));

export const bigIntHex = fc.oneof(
  fc.integer({ min: -4096, max: 4096 }).map((k) => hexOf(2 ** 53 + k)),
  fc.integer({ min: -4096, max: 4096 }).map((k) => hexOf(-(2 ** 53) + k)),
  fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map((b) => hexOf(Number(b))),
  fc
    .constantFrom(
      2 ** 53,
      2 ** 53 + 2,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 62,
      2 ** 63,
      -(2 ** 63),
      2 ** 64,
      1e13,
      1e13 - 1,
      1e15,
      1e20,
      -1e20,
      1e300,
    )
    .map(hexOf),
);

export const anyValueHex = fc.oneof(doubleHex, rawBitsHex, smallIntHex, decimalHex, bigIntHex);

export type ValuesOf = (n: number) => fc.Arbitrary<string[]>;

/** n values, each drawn from `arb`. */
export const arrayOf =
  (arb: fc.Arbitrary<string>): ValuesOf =>
  (n) =>
    fc.array(arb, { minLength: n, maxLength: n });

/** Monotonic counters with occasional resets to zero, as Prometheus counters go. */
export const countersOf: ValuesOf = (n) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 1_000_000_000_000 }),
      fc.array(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 6, arbitrary: fc.integer({ min: 1, max: 100 }) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) },
          { weight: 1, arbitrary: fc.constant(-1) }, // reset
        ),
        { minLength: n, maxLength: n },
      ),
    )
    .map(([start, incs]) => {
      let c = start;
      return incs.map((inc) => {
        c = inc < 0 ? 0 : c + inc;
        return hexOf(c);
      });
    });

/** Gauges with a fixed number of decimal places, as a random walk or scattered. */
export const decimalsOf: ValuesOf = (n) =>
  fc.oneof(
    fc
      .tuple(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.array(fc.integer({ min: -5000, max: 5000 }), { minLength: n, maxLength: n }),
      )
      .map(([places, start, steps]) => {
        let i = start;
        return steps.map((d) => {
          i += d;
          return hexOf(i / 10 ** places);
        });
      }),
    arrayOf(decimalHex)(n),
  );

/** Values that keep flipping between the integer and the float path. */
export const mixedOf = arrayOf(
  fc.oneof(smallIntHex, decimalHex, doubleHex, bigIntHex, fc.constant(hexOf(Number.NaN))),
);

/** Long runs of one value (of any kind), then another. */
export const constantRunsOf: ValuesOf = (n) =>
  fc
    .array(fc.tuple(anyValueHex, fc.integer({ min: 1, max: 80 })), {
      minLength: 1,
      maxLength: 20,
    })
    .map((runs) => {
      const out: string[] = [];
      for (const [v, len] of runs) for (let i = 0; i < len && out.length < n; i++) out.push(v);
      while (out.length < n) out.push(out[out.length - 1]);
      return out;
    });

/** Values of any of the kinds above. */
export const everyKindOf: ValuesOf = (n) =>
  fc.oneof(arrayOf(anyValueHex)(n), countersOf(n), decimalsOf(n), mixedOf(n), constantRunsOf(n));

// --- arbitraries: times -------------------------------------------------------

type Gaps = "mixed" | "days" | "subMs" | "noDays";

interface TimeOptions {
  units?: readonly WritableUnit[];
  /** Each point may take another unit than the series'. */
  mixUnits?: boolean;
  gaps?: Gaps;
  /** Let the first points fall before the block start (encode() only). */
  beforeStart?: boolean;
}

// 2000-01-01 .. 2100-01-01, and 1700 .. 2200 for instants before the epoch.
const startArb = fc
  .tuple(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.bigInt({ min: 946_684_800n * SECOND, max: 4_102_444_800n * SECOND }),
      },
      {
        weight: 1,
        arbitrary: fc.bigInt({ min: -8_520_336_000n * SECOND, max: 7_258_118_400n * SECOND }),
      },
    ),
    // Block starts are usually aligned to the block size; any ns is allowed.
    fc.constantFrom(7200n * SECOND, SECOND, 1_000_000n, 1000n, 1n),
  )
  .map(([ns, align]) => ns - (((ns % align) + align) % align));

/** A gap of -1 means "the series' regular interval". */
function gapArb(gaps: Gaps): fc.Arbitrary<bigint> {
  const regular = fc.constant(-1n);
  const jitter = fc.bigInt({ min: 1n, max: 10n * SECOND });
  const subMs = fc.bigInt({ min: 1n, max: 999_999n });
  const days = fc.bigInt({ min: DAY, max: 20n * DAY });
  switch (gaps) {
    case "mixed":
      return fc.oneof(
        { weight: 12, arbitrary: regular },
        { weight: 5, arbitrary: jitter },
        { weight: 2, arbitrary: subMs },
        { weight: 1, arbitrary: days },
      );
    case "noDays":
      return fc.oneof(
        { weight: 12, arbitrary: regular },
        { weight: 5, arbitrary: jitter },
        { weight: 2, arbitrary: subMs },
      );
    case "days":
      return fc.oneof({ weight: 1, arbitrary: regular }, { weight: 1, arbitrary: days });
    case "subMs":
      return fc.oneof({ weight: 1, arbitrary: regular }, { weight: 3, arbitrary: subMs });
  }
}

/** n strictly increasing instants, each a whole number of its unit. */
function timesOf(
  n: number,
  o: TimeOptions,
): fc.Arbitrary<{ startNs: bigint; times: { ns: bigint; unit: WritableUnit }[] }> {
  const units = o.units ?? WRITABLE_UNITS;
  return fc
    .record({
      startNs: startArb,
      unit: fc.constantFrom(...units),
      interval: fc.constantFrom(
        1n,
        1000n,
        250_000n,
        1_000_000n,
        SECOND,
        10n * SECOND,
        60n * SECOND,
      ),
      lead: o.beforeStart ? fc.bigInt({ min: 0n, max: 3600n * SECOND }) : fc.constant(0n),
      steps: fc.array(
        fc.record({
          gap: gapArb(o.gaps ?? "mixed"),
          unit: o.mixUnits ? fc.option(fc.constantFrom(...units), { freq: 3 }) : fc.constant(null),
        }),
        { minLength: n, maxLength: n },
      ),
    })
    .map(({ startNs, unit, interval, lead, steps }) => {
      let cursor = startNs - 1n - lead;
      const times = steps.map((step) => {
        const u = step.unit ?? unit;
        cursor = roundUp(cursor + (step.gap < 0n ? interval : step.gap), UNIT_NS[u]);
        return { ns: cursor, unit: u };
      });
      return { startNs, times };
    });
}

const annotationArb = fc.option(fc.uint8Array({ minLength: 0, maxLength: 5 }), { freq: 2 });

interface SeriesOptions extends TimeOptions {
  maxPoints?: number;
  intOptimized?: boolean;
  annotations?: boolean;
}

/** A series of up to maxPoints points with values from `valuesOf` and times as `o` says. */
export function seriesOf(valuesOf: ValuesOf, o: SeriesOptions = {}): fc.Arbitrary<Series> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: o.maxPoints ?? MAX_POINTS }),
      intOptimized: o.intOptimized === undefined ? fc.boolean() : fc.constant(o.intOptimized),
      defaultUnit: fc.oneof(
        { weight: 3, arbitrary: fc.constant(TimeUnit.Second) },
        { weight: 1, arbitrary: fc.constantFrom(...WRITABLE_UNITS) },
      ),
    })
    .chain(({ n, intOptimized, defaultUnit }) =>
      fc
        .record({
          values: valuesOf(n),
          times: timesOf(n, o),
          annotations: o.annotations
            ? fc.array(annotationArb, { minLength: n, maxLength: n })
            : fc.constant(null),
        })
        .map(({ values, times, annotations }) => ({
          options: { intOptimized, defaultUnit },
          startNs: times.startNs,
          points: times.times.map((t, i) => ({
            ns: t.ns,
            unit: t.unit,
            value: values[i],
            annotation: annotations === null ? null : annotations[i],
          })),
        })),
    );
}
