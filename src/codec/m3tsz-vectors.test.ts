// Compatibility with M3 itself: the byte vectors of M3's encoder tests and
// ten real int-optimised streams from M3's benchmarks (M3's
// src/dbnode/encoding/m3tsz/encoder_test.go and encoder_benchmark_test.go),
// kept in src/codec/testdata/m3tsz-vectors.json (its provenance is in
// testdata/README.md).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatNs, parseNs, type TimeUnit } from "../x/index.js";
import { M3tszEncoder, M3tszIterator } from "./index.js";
import { unitNamed } from "./testing.js";

// Read from the sources, not dist/: dist/src/codec -> repository root.
const VECTORS_URL = new URL("../../../src/codec/testdata/m3tsz-vectors.json", import.meta.url);

interface FixedPoint {
  tNs: string;
  value: number;
  unit: string;
  annotation: number[] | null;
}

interface FixedVector {
  name: string;
  blockStartNs: string;
  intOptimization: boolean;
  defaultUnit: string;
  points: FixedPoint[];
  bytesHex: string;
}

interface Vectors {
  fixed: FixedVector[];
  realStreams: {
    blockStartNs: string;
    blockSize: string;
    unit: string;
    intOptimization: boolean;
    base64: string[];
  };
}

/** The vectors, or why they could not be read (the first test reports it). */
function loadVectors(): Vectors | string {
  const path = fileURLToPath(VECTORS_URL);
  if (!existsSync(path)) {
    return `M3's test vectors are missing: expected ${path} (M3's vectors, kept in the repository)`;
  }
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Vectors;
  } catch (e) {
    return `M3's test vectors at ${path} cannot be read: ${e}`;
  }
}

const loaded = loadVectors();

test("M3's vectors file is present and holds the four fixed vectors and ten real streams", () => {
  assert.ok(typeof loaded !== "string", typeof loaded === "string" ? loaded : "");
  assert.deepEqual(
    loaded.fixed.map((v) => v.name),
    [
      "TestEncodeNoAnnotation",
      "TestEncodeWithAnnotation",
      "TestEncodeWithTimeUnit",
      "TestEncodeWithAnnotationAndTimeUnit",
    ],
  );
  assert.equal(loaded.realStreams.base64.length, 10);
});

const unitOf = (name: string): TimeUnit => unitNamed(name, "vectors.json");

const scratch = new Float64Array(2);
function instant(ns: string): [number, number] {
  parseNs(ns, scratch);
  return [scratch[0], scratch[1]];
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

// Without the file only the test above runs, and fails saying why.
if (typeof loaded !== "string") vectorTests(loaded);

function vectorTests(vectors: Vectors): void {
  for (const v of vectors.fixed) {
    const options = { intOptimized: v.intOptimization, defaultUnit: unitOf(v.defaultUnit) };

    test(`${v.name}: encode() writes M3's bytes exactly`, () => {
      const [startMs, startNs] = instant(v.blockStartNs);
      const enc = new M3tszEncoder(startMs, startNs, options);
      for (const p of v.points) {
        const [ms, ns] = instant(p.tNs);
        const ann = p.annotation === null ? null : Uint8Array.from(p.annotation);
        enc.encode(ms, p.value, unitOf(p.unit), ns, ann);
      }
      assert.equal(hex(enc.bytes()), v.bytesHex);
      assert.equal(enc.byteLength, v.bytesHex.length / 2);
    });

    test(`${v.name}: M3's bytes decode to the points written, annotations where they changed`, () => {
      const it = new M3tszIterator(Buffer.from(v.bytesHex, "hex"), options);
      const got: unknown[] = [];
      while (it.next()) {
        got.push({
          tNs: formatNs(it.timeMs, it.nsInMs),
          value: it.value,
          unit: it.unit,
          annotationChanged: it.annotationChanged,
          annotation: it.annotation === null ? null : Array.from(it.annotation),
        });
      }
      assert.equal(it.error, null, it.error?.message);
      // M3 writes an annotation only where it differs from the last one written;
      // the iterator keeps the last one in force.
      let last: number[] | null = null;
      const want = v.points.map((p) => {
        const changed =
          p.annotation !== null &&
          p.annotation.length > 0 &&
          JSON.stringify(p.annotation) !== JSON.stringify(last);
        if (changed) last = p.annotation;
        return {
          tNs: p.tNs,
          value: p.value,
          unit: unitOf(p.unit),
          annotationChanged: changed,
          annotation: last,
        };
      });
      assert.deepEqual(got, want);
    });
  }

  test("M3's real int-optimised streams decode cleanly to ~720 increasing points inside their 2 h block", () => {
    const rs = vectors.realStreams;
    assert.equal(rs.blockSize, "2h");
    const [blockMs, blockNs] = instant(rs.blockStartNs);
    assert.equal(blockNs, 0);
    const blockEndMs = blockMs + 2 * 3600 * 1000;
    const it = new M3tszIterator(null, { intOptimized: rs.intOptimization });
    rs.base64.forEach((b64, i) => {
      it.reset(Buffer.from(b64, "base64"));
      let n = 0;
      let prevMs = Number.NEGATIVE_INFINITY;
      while (it.next()) {
        assert.ok(it.timeMs > prevMs, `stream ${i} point ${n}: ${it.timeMs} not after ${prevMs}`);
        assert.ok(
          it.timeMs >= blockMs && it.timeMs < blockEndMs,
          `stream ${i} point ${n} outside the block`,
        );
        assert.equal(it.nsInMs, 0);
        assert.equal(it.unit, unitOf(rs.unit));
        assert.ok(Number.isFinite(it.value), `stream ${i} point ${n}: value ${it.value}`);
        prevMs = it.timeMs;
        n++;
      }
      assert.equal(it.error, null, `stream ${i}: ${it.error?.message}`);
      // 2 h at 10 s is 720; some series miss a scrape.
      assert.ok(n >= 715 && n <= 720, `stream ${i} has ${n} points`);
    });
  });

  test("M3's real streams re-encode, point by point with the same units, to identical bytes", () => {
    const rs = vectors.realStreams;
    const [blockMs, blockNs] = instant(rs.blockStartNs);
    const options = { intOptimized: rs.intOptimization };
    const it = new M3tszIterator(null, options);
    const enc = new M3tszEncoder(blockMs, blockNs, options);
    rs.base64.forEach((b64, i) => {
      const bytes = new Uint8Array(Buffer.from(b64, "base64"));
      it.reset(bytes);
      enc.reset(blockMs, blockNs);
      while (it.next()) {
        enc.append(
          it.timeMs,
          it.value,
          it.unit as TimeUnit,
          it.nsInMs,
          it.annotationChanged ? it.annotation : null,
        );
      }
      assert.equal(it.error, null);
      assert.equal(hex(enc.bytes()), hex(bytes), `stream ${i}`);
    });
  });
}
