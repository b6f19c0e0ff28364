import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encodeTags, InvalidTagsError, seriesIdString, type Tag } from "../x/index.js";
import { MutableSegment } from "./mutable-segment.js";
import { encodeSegments, SealedSegment, SegmentFormatError } from "./sealed-segment.js";
import type { Segment } from "./segment.js";

/** Adds a series under its canonical ID, or under `id` (as a Graphite or M3 client may name it). */
function put(seg: MutableSegment, tags: Tag[], id = seriesIdString(tags)): void {
  seg.insertEncoded(id, encodeTags(tags));
}

/** Everything a query can read from a segment, in a comparable form. */
function contents(seg: Segment) {
  const docs: [string, Tag[]][] = [];
  for (let d = 0; d < seg.size; d++) docs.push([seg.idOf(d), seg.tagsOf(d)]);
  const fields = seg.fieldNames().map((name) => {
    const f = seg.field(name);
    assert.ok(f !== undefined);
    const terms = f.terms().map((t, i) => {
      const p = f.postingsAt(i).toArray();
      assert.deepEqual(f.postings(t)?.toArray(), p);
      return [t, p.map((d) => seg.idOf(d)).sort()];
    });
    return [
      name,
      f
        .docs()
        .toArray()
        .map((d) => seg.idOf(d))
        .sort(),
      terms,
    ];
  });
  return { docs: docs.sort(([a], [b]) => (a < b ? -1 : 1)), fields };
}

const tagSet = fc
  .dictionary(
    fc.constantFrom("__name__", "job", "instance", "é", "z"),
    fc.string({ unit: "binary", maxLength: 6 }),
    { minKeys: 1 },
  )
  .map((d) => Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) as Tag[]);

test("sealing keeps every document, field, term and postings list, across merged segments", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(tagSet, { maxLength: 40 }), fc.nat(40), async (all, cut) => {
      const a = new MutableSegment();
      const b = new MutableSegment();
      const both = new MutableSegment();
      all.forEach((tags, i) => {
        // Every third series has an ID of its own rather than the canonical one.
        const id = i % 3 === 2 ? `custom.${i}` : seriesIdString(tags);
        if (both.docOf(id) !== undefined) return;
        put(i < cut ? a : b, tags, id);
        put(both, tags, id);
      });
      const sealed = SealedSegment.decode(await encodeSegments([a, b]));
      assert.deepEqual(contents(sealed), contents(both));
      assert.equal(sealed.size, both.size);
      for (let d = 0; d < sealed.size; d++) assert.equal(sealed.docOf(sealed.idOf(d)), d);
      assert.equal(sealed.docOf("{absent}"), undefined);
      assert.equal(sealed.all().size, sealed.size);
      // A sealed segment seals again to the same bytes.
      assert.deepEqual(await encodeSegments([sealed]), sealed.bytes);
    }),
    { numRuns: 200 },
  );
});

test("a segment's tags with malformed UTF-8 or a broken structure are refused before anything is added", () => {
  const seg = new MutableSegment();
  const bad = encodeTags([["job", "ab"]]);
  bad[bad.length - 1] = 0xff;
  assert.throws(() => seg.insertEncoded('{job="x"}', bad), InvalidTagsError);
  assert.equal(seg.size, 0);
  assert.deepEqual(seg.fieldNames(), []);
  // Known fields and values do not skip the checks of what follows them.
  put(seg, [
    ["job", "api"],
    ["zone", "a"],
  ]);
  const good = encodeTags([
    ["job", "api"],
    ["zone", "a"],
  ]);
  for (const broken of [
    good.subarray(0, good.length - 1),
    Uint8Array.from([...good, 0]),
    Uint8Array.from(good, (b, i) => (i === good.length - 1 ? 0xc3 : b)),
  ]) {
    assert.throws(() => seg.insertEncoded("other", broken), InvalidTagsError);
  }
  assert.equal(seg.size, 1);
  assert.deepEqual(seg.field("zone")?.terms(), ["a"]);
});

test("malformed segment bytes are refused, naming what is wrong", async () => {
  const seg = new MutableSegment();
  put(seg, [["job", "ab"]], "custom-1");
  put(seg, [["job", "db"]], "custom-2");
  const good = await encodeSegments([seg]);
  const bad = (edit: (b: Uint8Array) => Uint8Array, why: RegExp) => {
    const b = edit(Uint8Array.from(good));
    assert.throws(
      () => SealedSegment.decode(b),
      (e: unknown) => e instanceof SegmentFormatError && why.test(e.message),
    );
  };
  bad((b) => b.subarray(0, 10), /cannot hold the 16-byte header/);
  /** An edit writing `bytes` at `at`. */
  const patch = (at: number, bytes: Uint8Array | number[]) => (b: Uint8Array) => {
    b.set(bytes, at);
    return b;
  };
  bad(patch(0, [0]), /bad magic/);
  bad(patch(4, [9]), /format version 9/);
  bad((b) => b.subarray(0, b.length - 1), /past the end|cut short/);
  bad((b) => Uint8Array.from([...b, 0]), /1 bytes follow the last field/);
  bad(patch(8, [200]), /cannot fit/);
  const i = Buffer.from(good).indexOf("custom-2");
  bad(patch(i, Buffer.from("custom-1")), /documents 0 and 1 share ID/);
  const j = Buffer.from(good).lastIndexOf("db");
  bad(patch(j, Buffer.from("aa")), /term "aa" of job is out of order/);
  // Postings bytes are checked when a query reads them.
  const k = Buffer.from(good).lastIndexOf("db") + 2 + 4;
  const corrupt = Uint8Array.from(good);
  corrupt.fill(0xff, k, k + 8);
  const s = SealedSegment.decode(corrupt);
  assert.throws(
    () => s.field("job")?.postings("db"),
    (e: unknown) => e instanceof SegmentFormatError && /postings of job="db"/.test(e.message),
  );
});

test("a canonical ID is not stored, only marked; another ID is stored as given", async () => {
  const seg = new MutableSegment();
  const tags: Tag[] = [
    ["__name__", "up"],
    ["job", "api"],
  ];
  put(seg, tags);
  put(seg, [["job", "db"]], "db.up");
  const bytes = Buffer.from(await encodeSegments([seg]));
  assert.equal(bytes.indexOf(seriesIdString(tags)), -1);
  assert.notEqual(bytes.indexOf("db.up"), -1);
  const sealed = SealedSegment.decode(bytes);
  assert.equal(sealed.idOf(0), seriesIdString(tags));
  assert.equal(sealed.idOf(1), "db.up");
  assert.equal(sealed.docOf("db.up"), 1);
  // Sealing with the IDs at hand gives the same segment.
  const direct = await SealedSegment.seal([seg]);
  assert.ok(Buffer.from(direct.bytes).equals(sealed.bytes));
  assert.deepEqual(contents(direct), contents(sealed));
});
