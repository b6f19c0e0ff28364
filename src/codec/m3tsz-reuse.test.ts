// Property tests of reusing the M3TSZ encoder and iterator: a snapshot taken
// mid-stream, a copy into the caller's buffer, and an encoder or iterator
// reset onto a new block or stream behave exactly as fresh ones would.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TimeUnit } from "../x/index.js";
import { M3tszIterator } from "./index.js";
import {
  appendAll,
  checkRoundTrip,
  decode,
  encoderFor,
  everyKindOf,
  expected,
  SEED,
  seriesOf,
  split,
  WRITABLE_UNITS,
} from "./m3tsz-series-arbitrary.js";

test("bytes() taken mid-stream decodes to exactly the points so far and appending goes on", () => {
  fc.assert(
    fc.property(seriesOf(everyKindOf, { mixUnits: true, maxPoints: 40 }), (s) => {
      const enc = encoderFor(s);
      const it = new M3tszIterator(null, s.options);
      for (let k = 0; k < s.points.length; k++) {
        const snapshot = enc.bytes();
        assert.equal(snapshot.length, enc.byteLength);
        assert.deepEqual(decode(it, snapshot), expected(s.points.slice(0, k)), `after ${k} points`);
        appendAll(enc, [s.points[k]]);
      }
      // Taking snapshots changed nothing: the stream equals one written in one go.
      const once = encoderFor(s);
      appendAll(once, s.points);
      assert.deepEqual(enc.bytes(), once.bytes());
    }),
    { seed: SEED, includeErrorInReport: true, numRuns: 150 },
  );
});

test("copyTo writes the same bytes as bytes() at the given offset", () => {
  fc.assert(
    fc.property(seriesOf(everyKindOf, { maxPoints: 40 }), fc.nat(8), (s, offset) => {
      const enc = encoderFor(s);
      appendAll(enc, s.points);
      const bytes = enc.bytes();
      const dst = new Uint8Array(offset + bytes.length + 3).fill(0xee);
      assert.equal(enc.copyTo(dst, offset), bytes.length);
      assert.deepEqual(dst.subarray(offset, offset + bytes.length), bytes);
      assert.ok(dst.subarray(0, offset).every((b) => b === 0xee));
      assert.ok(dst.subarray(offset + bytes.length).every((b) => b === 0xee));
    }),
    { seed: SEED, includeErrorInReport: true, numRuns: 100 },
  );
});

test("an encoder reset to a new start writes the same bytes as a new encoder", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.constantFrom(...WRITABLE_UNITS),
      seriesOf(everyKindOf, { mixUnits: true, annotations: true, maxPoints: 60 }),
      seriesOf(everyKindOf, { mixUnits: true, annotations: true, maxPoints: 60 }),
      (intOptimized, defaultUnit, a, b) => {
        const options = { intOptimized, defaultUnit };
        const first = { ...a, options };
        const second = { ...b, options };
        const enc = encoderFor(first);
        appendAll(enc, first.points);
        const [ms, ns] = split(second.startNs);
        enc.reset(ms, ns);
        assert.equal(enc.length, 0);
        assert.equal(enc.byteLength, 0);
        assert.equal(enc.blockStartMs, ms);
        appendAll(enc, second.points);
        const fresh = encoderFor(second);
        appendAll(fresh, second.points);
        assert.deepEqual(enc.bytes(), fresh.bytes());
      },
    ),
    { seed: SEED, includeErrorInReport: true, numRuns: 150 },
  );
});

test("an iterator reset onto another stream decodes it as a new iterator would", () => {
  fc.assert(
    fc.property(
      seriesOf(everyKindOf, { mixUnits: true, maxPoints: 60, intOptimized: true }),
      seriesOf(everyKindOf, { mixUnits: true, maxPoints: 60, intOptimized: true }),
      fc.nat(60),
      (a, b, stopAfter) => {
        const options = { intOptimized: true, defaultUnit: TimeUnit.Second };
        const bytesA = checkRoundTrip({ ...a, options });
        const bytesB = checkRoundTrip({ ...b, options });
        const it = new M3tszIterator(bytesA, options);
        // Stop part way through A, then switch to B, then back to A.
        for (let i = 0; i < stopAfter && it.next(); i++);
        assert.deepEqual(decode(it, bytesB), expected(b.points));
        assert.deepEqual(decode(it, bytesA), expected(a.points));
        // A reset also clears a previous fault.
        it.reset(bytesA.subarray(0, bytesA.length - 1));
        while (it.next());
        assert.notEqual(it.error, null);
        assert.deepEqual(decode(it, bytesB), expected(b.points));
      },
    ),
    { seed: SEED, includeErrorInReport: true, numRuns: 100 },
  );
});
