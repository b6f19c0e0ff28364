// The KV contract (versions, check-and-set, set-if-not-exists, delete,
// watch, close), checked on the embedded FileKV, its one implementation.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  FileKV,
  type KV,
  KV_FILE,
  KVClosedError,
  KVInvalidValueError,
  KVKeyExistsError,
  type KVValue,
  KVVersionMismatchError,
} from "./index.js";

async function withKV(fn: (kv: KV, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-kv-"));
  const kv = await FileKV.open(dir);
  try {
    await fn(kv, dir);
  } finally {
    await kv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves once every microtask queued so far (watch deliveries) has run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a missing key reads as null; versions start at 1 and grow by one per change", () =>
  withKV(async (kv) => {
    assert.equal(await kv.get("a"), null);
    assert.equal(await kv.set("a", { n: 1 }), 1);
    assert.equal(await kv.set("a", { n: 2 }), 2);
    assert.equal(await kv.checkAndSet("a", 2, { n: 3 }), 3);
    assert.deepEqual(await kv.get("a"), { value: { n: 3 }, version: 3 });
    // Keys are versioned independently.
    assert.equal(await kv.set("b", "x"), 1);
  }));

test("check-and-set with a stale version fails and names key, expected and actual", () =>
  withKV(async (kv) => {
    await kv.set("k", 1);
    await kv.set("k", 2);
    await assert.rejects(kv.checkAndSet("k", 1, 3), (e: unknown) => {
      assert.ok(e instanceof KVVersionMismatchError);
      assert.equal(e.code, "M3TS_ERR_KV_VERSION_MISMATCH");
      assert.equal(e.key, "k");
      assert.equal(e.expected, 1);
      assert.equal(e.actual, 2);
      assert.match(e.message, /"k".*version 2.*not 1/);
      return true;
    });
    assert.deepEqual(await kv.get("k"), { value: 2, version: 2 });
  }));

test("check-and-set with expected version 0 creates a missing key and fails on an existing one", () =>
  withKV(async (kv) => {
    assert.equal(await kv.checkAndSet("k", 0, "first"), 1);
    await assert.rejects(kv.checkAndSet("k", 0, "again"), KVVersionMismatchError);
  }));

test("set-if-not-exists creates once, then fails with KVKeyExistsError", () =>
  withKV(async (kv) => {
    assert.equal(await kv.setIfNotExists("k", "v"), 1);
    await assert.rejects(kv.setIfNotExists("k", "w"), (e: unknown) => {
      assert.ok(e instanceof KVKeyExistsError);
      assert.equal(e.code, "M3TS_ERR_KV_KEY_EXISTS");
      assert.equal(e.key, "k");
      return true;
    });
    assert.deepEqual(await kv.get("k"), { value: "v", version: 1 });
  }));

test("concurrent check-and-sets on one key: exactly one wins, the rest see the winner's version", () =>
  withKV(async (kv) => {
    await kv.set("k", 0);
    const racers = 20;
    const results = await Promise.allSettled(
      Array.from({ length: racers }, (_, i) => kv.checkAndSet("k", 1, i)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    assert.equal((won[0] as PromiseFulfilledResult<number>).value, 2);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof KVVersionMismatchError);
        assert.equal(r.reason.actual, 2);
      }
    }
    const got = (await kv.get("k")) as KVValue;
    assert.equal(got.version, 2);
    assert.ok(Number.isInteger(got.value));
  }));

test("concurrent set-if-not-exists: exactly one creates the key", () =>
  withKV(async (kv) => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => kv.setIfNotExists("k", i)),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof KVKeyExistsError);
    }
  }));

test("read-modify-write loops with check-and-set lose no increment", () =>
  withKV(async (kv) => {
    await kv.set("counter", 0);
    const increment = async () => {
      for (;;) {
        const cur = (await kv.get("counter")) as KVValue;
        try {
          await kv.checkAndSet("counter", cur.version, (cur.value as number) + 1);
          return;
        } catch (e) {
          if (!(e instanceof KVVersionMismatchError)) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: 15 }, increment));
    assert.deepEqual(await kv.get("counter"), { value: 15, version: 16 });
  }));

test("delete returns what the key held; a new write starts again at version 1", () =>
  withKV(async (kv) => {
    assert.equal(await kv.delete("k"), null);
    await kv.set("k", "a");
    await kv.set("k", "b");
    assert.deepEqual(await kv.delete("k"), { value: "b", version: 2 });
    assert.equal(await kv.get("k"), null);
    assert.equal(await kv.set("k", "c"), 1);
  }));

test("values are copied in and out: mutating them does not change the store", () =>
  withKV(async (kv) => {
    const value = { list: [1, 2] };
    await kv.set("k", value);
    value.list.push(3);
    const got = (await kv.get("k")) as KVValue;
    assert.deepEqual(got.value, { list: [1, 2] });
    (got.value as { list: number[] }).list.push(4);
    assert.deepEqual(((await kv.get("k")) as KVValue).value, { list: [1, 2] });
  }));

test("a value that is not JSON is refused with KVInvalidValueError and changes nothing", () =>
  withKV(async (kv) => {
    await kv.set("k", 1);
    for (const bad of [undefined, () => 1, 10n]) {
      await assert.rejects(kv.set("k", bad), KVInvalidValueError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(kv.set("k", cyclic), KVInvalidValueError);
    await assert.rejects(kv.set("", 1), KVInvalidValueError);
    assert.deepEqual(await kv.get("k"), { value: 1, version: 1 });
  }));

test("watchers see every change in order, once it is on disk, and deletes as null", () =>
  withKV(async (kv, dir) => {
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => {
      // Delivery comes after the change is durable: the file already holds it.
      const file = readFileSync(join(dir, KV_FILE), "utf8");
      if (v === null) assert.doesNotMatch(file, /\["k",/);
      else assert.ok(file.includes(`["k",${v.version},${JSON.stringify(v.value)}]`));
      seen.push(v);
    });
    const writes = [
      kv.set("k", "a"),
      kv.set("k", "b"),
      kv.checkAndSet("k", 2, "c"),
      kv.set("other", "x"),
      kv.delete("k"),
    ];
    // Never inside the call that made the change.
    assert.equal(seen.length, 0);
    await Promise.all(writes);
    await settle();
    assert.deepEqual(seen, [
      { value: "a", version: 1 },
      { value: "b", version: 2 },
      { value: "c", version: 3 },
      null,
    ]);
  }));

test("a refused change notifies nobody", () =>
  withKV(async (kv) => {
    await kv.set("k", 1);
    const seen: unknown[] = [];
    kv.watch("k", (v) => seen.push(v));
    await assert.rejects(kv.checkAndSet("k", 7, 2));
    await assert.rejects(kv.setIfNotExists("k", 2));
    await settle();
    assert.deepEqual(seen, []);
  }));

test("a stopped watcher gets nothing more, others keep getting changes", () =>
  withKV(async (kv) => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = kv.watch("k", (v) => a.push(v));
    kv.watch("k", (v) => b.push(v));
    await kv.set("k", 1);
    await settle();
    stopA();
    await kv.set("k", 2);
    await settle();
    assert.equal(a.length, 1);
    assert.equal(b.length, 2);
  }));

test("close waits for changes under way, then refuses new ones with KVClosedError", async () => {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-kv-"));
  try {
    const kv = await FileKV.open(dir);
    const pending = kv.set("k", "v");
    await kv.close();
    assert.equal(await pending, 1);
    await assert.rejects(kv.set("k", "w"), KVClosedError);
    await assert.rejects(kv.delete("k"), KVClosedError);
    const again = await FileKV.open(dir);
    assert.deepEqual(await again.get("k"), { value: "v", version: 1 });
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
