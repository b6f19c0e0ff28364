// Golden M3TSZ streams of our own encoder (testdata/m3tsz-golden.json), so
// that any change to the bytes written is a deliberate format change. Each
// case is encoded again and compared byte for byte, and its bytes decode back
// to the case's inputs. To add a case, write its inputs and the bytes the
// encoder gives, check those bits by hand against docs/format/m3tsz.md,
// and say why in the commit.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatNs, parseNs, type TimeUnit } from "../x/index.js";
import { M3tszEncoder, M3tszIterator } from "./index.js";
import { unitNamed } from "./testing.js";

// Read from the source tree: dist/src/codec -> src/codec/testdata.
const GOLDEN_URL = new URL("../../../src/codec/testdata/m3tsz-golden.json", import.meta.url);

interface GoldenPoint {
  tNs: string;
  unit: string;
  /** IEEE-754 bits, 16 hex digits. */
  valueBits: string;
  /** Hex bytes; "" is an empty annotation, null none. */
  annotation: string | null;
}

interface GoldenCase {
  name: string;
  description: string;
  blockStartNs: string;
  intOptimized: boolean;
  defaultUnit: string;
  points: GoldenPoint[];
  bytesHex: string;
}

const golden = JSON.parse(readFileSync(GOLDEN_URL, "utf8")) as { cases: GoldenCase[] };

const unitOf = (name: string): TimeUnit => unitNamed(name, "m3tsz-golden.json");

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function floatOfBits(bits: string): number {
  u32[1] = Number.parseInt(bits.slice(0, 8), 16);
  u32[0] = Number.parseInt(bits.slice(8), 16);
  return f64[0];
}

function bitsOf(v: number): string {
  f64[0] = v;
  return u32[1].toString(16).padStart(8, "0") + u32[0].toString(16).padStart(8, "0");
}

const t = new Float64Array(2);

function optionsOf(c: GoldenCase) {
  return { intOptimized: c.intOptimized, defaultUnit: unitOf(c.defaultUnit) };
}

test("the golden file covers the cases the format must keep", () => {
  const names = golden.cases.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, "case names are unique");
  for (const name of [
    "int-counter-ms-10s",
    "decimal-gauge-2dp",
    "int-float-int-switches",
    "repeated-values-both-modes",
    "negative-numbers",
    "special-floats",
    "beyond-2^53",
    "unit-changes",
    "annotations",
    "dod-bucket-boundaries",
    "irregular-huge-gaps",
    "non-second-aligned-start",
    "int-optimization-off",
  ]) {
    assert.ok(names.includes(name), `missing golden case ${name}`);
  }
});

for (const c of golden.cases) {
  test(`golden ${c.name}: encoding the inputs gives the pinned bytes`, () => {
    parseNs(c.blockStartNs, t);
    const enc = new M3tszEncoder(t[0], t[1], optionsOf(c));
    for (const p of c.points) {
      parseNs(p.tNs, t);
      const ann = p.annotation === null ? null : new Uint8Array(Buffer.from(p.annotation, "hex"));
      enc.encode(t[0], floatOfBits(p.valueBits), unitOf(p.unit), t[1], ann);
    }
    assert.equal(Buffer.from(enc.bytes()).toString("hex"), c.bytesHex, c.description);
  });

  test(`golden ${c.name}: the pinned bytes decode to the inputs`, () => {
    const it = new M3tszIterator(new Uint8Array(Buffer.from(c.bytesHex, "hex")), optionsOf(c));
    const got: unknown[] = [];
    while (it.next()) {
      got.push({
        tNs: formatNs(it.timeMs, it.nsInMs),
        unit: it.unit,
        valueBits: bitsOf(it.value),
        annotation: it.annotation === null ? null : Buffer.from(it.annotation).toString("hex"),
        annotationChanged: it.annotationChanged,
      });
    }
    assert.equal(it.error, null, it.error?.message);
    let last: string | null = null;
    const want = c.points.map((p) => {
      const changed = p.annotation !== null && p.annotation !== "" && p.annotation !== last;
      if (changed) last = p.annotation;
      return {
        tNs: p.tNs,
        unit: unitOf(p.unit),
        valueBits: p.valueBits,
        annotation: last,
        annotationChanged: changed,
      };
    });
    assert.deepEqual(got, want, c.description);
  });
}
