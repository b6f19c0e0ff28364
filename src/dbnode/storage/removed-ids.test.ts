import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RemovedIds } from "./removed-ids.js";

const HOUR_MS = 3_600_000;

test("property: every ID added is found until its period passes the horizon", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 30 }), fc.nat(24 * HOUR_MS)), { maxLength: 400 }),
      fc.nat(30 * HOUR_MS),
      (adds, horizon) => {
        const removed = new RemovedIds(2 * HOUR_MS);
        const sorted = [...adds].sort((a, b) => a[1] - b[1]);
        for (const [id, at] of sorted) removed.add(id, at);
        removed.pruneBefore(horizon);
        for (const [id, at] of sorted) {
          // Kept whenever removed at or after the horizon; earlier ones may go.
          if (at >= horizon) assert.equal(removed.has(id), true, `${id} at ${at}`);
        }
      },
    ),
  );
});

test("IDs never added are not found (no false positive among 200 000)", () => {
  const removed = new RemovedIds(2 * HOUR_MS);
  for (let i = 0; i < 200_000; i++) removed.add(`series{pod="p-${i}"}`, i);
  let found = 0;
  for (let i = 0; i < 200_000; i++) if (removed.has(`series{pod="q-${i}"}`)) found++;
  assert.equal(found, 0);
  assert.equal(removed.size, 200_000);
  // 8 bytes a slot at most half full: 16 to 32 bytes per ID.
  assert.ok(removed.bytes <= 200_000 * 32 + 16_384, `${removed.bytes} bytes`);
});

test("a whole period is dropped once it ends at or before the horizon", () => {
  const removed = new RemovedIds(2 * HOUR_MS);
  removed.add("a", 0);
  removed.add("b", 2 * HOUR_MS);
  removed.pruneBefore(2 * HOUR_MS);
  assert.equal(removed.has("a"), false);
  assert.equal(removed.has("b"), true);
  assert.equal(removed.size, 1);
});
