import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FRESH, SeriesTable } from "./series-table.js";

/** Tags of a given length whose bytes name their series, so a mix-up shows. */
function tagsFor(n: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (n * 31 + i) & 0xff;
  return bytes;
}

type Op = { kind: "add"; length: number } | { kind: "remove"; pick: number } | { kind: "reclaim" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("add" as const), length: fc.nat(40_000) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reclaim" as const) }) },
);

test("property: add, remove and reclaim agree with a Map model; tags read back exactly; reused refs reset", () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), (ops) => {
      const table = new SeriesTable("ns");
      const model = new Map<string, { ref: number; n: number; length: number }>();
      let next = 0;
      let maxLive = 0;
      for (const o of ops) {
        if (o.kind === "add") {
          const n = next++;
          const id = `s${n}`;
          const ref = table.add(id, n, n % 7, tagsFor(n, o.length), n % 2 === 0);
          for (const other of model.values())
            assert.notEqual(other.ref, ref, "a live ref was handed out again");
          assert.equal(table.indexedBlock(ref), n % 2 === 0 ? FRESH : Number.NaN);
          assert.equal(table.isPinned(ref), false);
          assert.equal(table.buffers[ref]?.isEmpty(), true);
          model.set(id, { ref, n, length: o.length });
          table.setIndexedBlock(ref, 1000 * n);
        } else if (o.kind === "remove" && model.size > 0) {
          const ids = [...model.keys()];
          const id = ids[o.pick % ids.length];
          const { ref } = model.get(id) as { ref: number };
          table.remove(ref);
          model.delete(id);
          assert.equal(table.ids[ref], null);
        } else if (o.kind === "reclaim") {
          table.reclaim();
        }
        maxLive = Math.max(maxLive, model.size);
        assert.equal(table.size, model.size);
      }
      table.reclaim();
      for (const [id, { ref, n, length }] of model) {
        assert.equal(table.byId.get(id), ref);
        assert.equal(table.ids[ref], id);
        assert.equal(table.seriesIndexOf(ref), n);
        assert.equal(table.shardOf(ref), n % 7);
        assert.equal(table.indexedBlock(ref), 1000 * n);
        assert.deepEqual(table.tagsOf(ref), tagsFor(n, length));
      }
      // Refs come back only through reclaim, so slots never pass the live
      // series plus those removed since the last reclaim.
      assert.ok(table.slots <= next);
    }),
    { numRuns: 200 },
  );
});

test("refs of removed series are reused only after reclaim", () => {
  const table = new SeriesTable("ns");
  const a = table.add("a", 1, 0, tagsFor(1, 10));
  table.remove(a);
  const b = table.add("b", 2, 0, tagsFor(2, 10));
  assert.notEqual(b, a);
  table.remove(b);
  table.reclaim();
  const c = table.add("c", 3, 0, tagsFor(3, 10));
  assert.ok(c === a || c === b);
  assert.equal(table.slots, 2);
  // A caller holding the old ref sees another ID there and looks the series up again.
  assert.notEqual(table.ids[c], "a");
});

test("under steady churn the arena stays within about twice the live tag bytes", () => {
  const table = new SeriesTable("ns");
  const live: number[] = [];
  const tagBytes = 300;
  let n = 0;
  for (; n < 10_000; n++) live.push(table.add(`s${n}`, n, 0, tagsFor(n, tagBytes)));
  for (let round = 0; round < 100; round++) {
    // Replace a tenth of the series, oldest first, as a churning workload does.
    for (let k = 0; k < 1000; k++) table.remove(live.shift() as number);
    table.reclaim();
    for (let k = 0; k < 1000; k++, n++) live.push(table.add(`s${n}`, n, 0, tagsFor(n, tagBytes)));
  }
  assert.equal(table.slots, 10_000);
  const liveBytes = live.length * tagBytes;
  assert.ok(
    table.arenaBytes <= 2 * liveBytes + (2 << 20),
    `arena ${table.arenaBytes} bytes for ${liveBytes} live`,
  );
  for (let k = 0; k < live.length; k += 997) {
    const ref = live[k];
    const id = table.ids[ref] as string;
    assert.deepEqual(table.tagsOf(ref), tagsFor(Number(id.slice(1)), tagBytes));
  }
});

test("a pinned series is not removed", () => {
  const table = new SeriesTable("ns");
  const a = table.add("a", 1, 0, tagsFor(1, 4));
  table.pin(a);
  assert.throws(() => table.remove(a), /removed while a write holds it/);
  table.unpin(a);
  table.remove(a);
  assert.equal(table.size, 0);
});
