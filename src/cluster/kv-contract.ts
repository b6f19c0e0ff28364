// The KV contract (versions, check-and-set, set-if-not-exists, delete,
// watch, close) as one suite, run on every implementation: the embedded
// FileKV (kv.test.ts) and EtcdKV on a real etcd (etcd-kv.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type KV,
  KVClosedError,
  KVInvalidValueError,
  KVKeyExistsError,
  type KVValue,
  KVVersionMismatchError,
} from "./kv.js";

/** A fresh, empty KV for one test; `reopen` opens another on the same store once the first is closed. */
export interface KVUnderTest {
  kv: KV;
  reopen(): Promise<KV>;
  cleanup(): Promise<void>;
}

/** Bound of a wait for watch deliveries (a remote KV delivers after the call returns). */
const DELIVERY_WAIT_MS = 10_000;

/**
 * Resolves once `seen` holds `n` deliveries. A remote KV delivers some time
 * after the change is acknowledged, so tests wait for the count and then
 * check content; "nothing more arrived" is checked by a later change whose
 * delivery must come next.
 */
export async function waitForDeliveries(seen: readonly unknown[], n: number): Promise<void> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  while (seen.length < n) {
    if (Date.now() > deadline) {
      assert.fail(`waited ${DELIVERY_WAIT_MS} ms for ${n} deliveries, got ${seen.length}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Registers the contract's tests for the KV `open` makes, named after `name`. */
export function kvContract(name: string, open: () => Promise<KVUnderTest>): void {
  const withKV = async (fn: (kv: KV, t: KVUnderTest) => Promise<void>): Promise<void> => {
    const t = await open();
    try {
      await fn(t.kv, t);
    } finally {
      await t.kv.close();
      await t.cleanup();
    }
  };
  const it = (what: string, fn: (kv: KV, t: KVUnderTest) => Promise<void>) =>
    test(`${name}: ${what}`, () => withKV(fn));

  it("a missing key reads as null; versions start at 1 and grow by one per change", async (kv) => {
    assert.equal(await kv.get("a"), null);
    assert.equal(await kv.set("a", { n: 1 }), 1);
    assert.equal(await kv.set("a", { n: 2 }), 2);
    assert.equal(await kv.checkAndSet("a", 2, { n: 3 }), 3);
    assert.deepEqual(await kv.get("a"), { value: { n: 3 }, version: 3 });
    // Keys are versioned independently.
    assert.equal(await kv.set("b", "x"), 1);
    assert.deepEqual(await kv.get("b"), { value: "x", version: 1 });
  });

  it("check-and-set with a stale version fails and names key, expected and actual", async (kv) => {
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
  });

  it("check-and-set with expected version 0 creates a missing key and fails on an existing one", async (kv) => {
    assert.equal(await kv.checkAndSet("k", 0, "first"), 1);
    await assert.rejects(kv.checkAndSet("k", 0, "again"), (e: unknown) => {
      assert.ok(e instanceof KVVersionMismatchError);
      assert.equal(e.actual, 1);
      return true;
    });
    // And a check-and-set expecting a version of a missing key sees 0.
    await assert.rejects(kv.checkAndSet("missing", 3, "x"), (e: unknown) => {
      assert.ok(e instanceof KVVersionMismatchError);
      assert.equal(e.actual, 0);
      return true;
    });
    assert.deepEqual(await kv.get("k"), { value: "first", version: 1 });
  });

  it("set-if-not-exists creates once, then fails with KVKeyExistsError", async (kv) => {
    assert.equal(await kv.setIfNotExists("k", "v"), 1);
    await assert.rejects(kv.setIfNotExists("k", "w"), (e: unknown) => {
      assert.ok(e instanceof KVKeyExistsError);
      assert.equal(e.code, "M3TS_ERR_KV_KEY_EXISTS");
      assert.equal(e.key, "k");
      return true;
    });
    assert.deepEqual(await kv.get("k"), { value: "v", version: 1 });
  });

  it("concurrent check-and-sets on one key: exactly one wins, the rest see the winner's version", async (kv) => {
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
  });

  it("concurrent set-if-not-exists: exactly one creates the key", async (kv) => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => kv.setIfNotExists("k", i)),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof KVKeyExistsError);
    }
  });

  it("read-modify-write loops with check-and-set lose no increment", async (kv) => {
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
  });

  it("delete returns what the key held; a new write starts again at version 1", async (kv) => {
    assert.equal(await kv.delete("k"), null);
    await kv.set("k", "a");
    await kv.set("k", "b");
    assert.deepEqual(await kv.delete("k"), { value: "b", version: 2 });
    assert.equal(await kv.get("k"), null);
    assert.equal(await kv.set("k", "c"), 1);
  });

  it("values are copied in and out: mutating them does not change the store", async (kv) => {
    const value = { list: [1, 2], text: "ünïcødé ✓" };
    await kv.set("k", value);
    value.list.push(3);
    const got = (await kv.get("k")) as KVValue;
    assert.deepEqual(got.value, { list: [1, 2], text: "ünïcødé ✓" });
    (got.value as { list: number[] }).list.push(4);
    assert.deepEqual(((await kv.get("k")) as KVValue).value, {
      list: [1, 2],
      text: "ünïcødé ✓",
    });
  });

  it("a value that is not JSON is refused with KVInvalidValueError and changes nothing", async (kv) => {
    await kv.set("k", 1);
    for (const bad of [undefined, () => 1, 10n]) {
      await assert.rejects(kv.set("k", bad), KVInvalidValueError);
      await assert.rejects(kv.checkAndSet("k", 1, bad), KVInvalidValueError);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(kv.set("k", cyclic), KVInvalidValueError);
    await assert.rejects(kv.set("", 1), KVInvalidValueError);
    assert.deepEqual(await kv.get("k"), { value: 1, version: 1 });
  });

  it("watchers see every change in order, and deletes as null, never inside the call", async (kv) => {
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => seen.push(v));
    const writes = [
      kv.set("k", "a"),
      kv.set("k", "b"),
      kv.checkAndSet("k", 2, "c"),
      kv.set("other", "x"),
      kv.delete("k"),
      kv.setIfNotExists("k", "d"),
    ];
    assert.equal(seen.length, 0);
    await Promise.all(writes);
    await waitForDeliveries(seen, 5);
    assert.deepEqual(seen, [
      { value: "a", version: 1 },
      { value: "b", version: 2 },
      { value: "c", version: 3 },
      null,
      { value: "d", version: 1 },
    ]);
  });

  it("a watch set up after a read sees every change after it", async (kv) => {
    await kv.set("k", "before");
    const got = (await kv.get("k")) as KVValue;
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => seen.push(v));
    await kv.checkAndSet("k", got.version, "after");
    await waitForDeliveries(seen, 1);
    assert.deepEqual(seen, [{ value: "after", version: 2 }]);
  });

  it("a refused change notifies nobody", async (kv) => {
    await kv.set("k", 1);
    const seen: unknown[] = [];
    kv.watch("k", (v) => seen.push(v));
    await assert.rejects(kv.checkAndSet("k", 7, 2));
    await assert.rejects(kv.setIfNotExists("k", 2));
    await assert.rejects(kv.set("k", undefined));
    // The next accepted change is the first delivery.
    await kv.set("k", 3);
    await waitForDeliveries(seen, 1);
    assert.deepEqual(seen, [{ value: 3, version: 2 }]);
  });

  it("a stopped watcher gets nothing more, others keep getting changes", async (kv) => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = kv.watch("k", (v) => a.push(v));
    kv.watch("k", (v) => b.push(v));
    await kv.set("k", 1);
    await waitForDeliveries(a, 1);
    await waitForDeliveries(b, 1);
    stopA();
    stopA();
    await kv.set("k", 2);
    const c: unknown[] = [];
    kv.watch("k", (v) => c.push(v));
    await kv.set("k", 3);
    await waitForDeliveries(b, 3);
    await waitForDeliveries(c, 1);
    assert.deepEqual(a, [{ value: 1, version: 1 }]);
    assert.deepEqual(c, [{ value: 3, version: 3 }]);
    assert.deepEqual(b, [
      { value: 1, version: 1 },
      { value: 2, version: 2 },
      { value: 3, version: 3 },
    ]);
  });

  it("close waits for changes under way, then refuses new ones with KVClosedError", async (kv, t) => {
    const pending = kv.set("k", "v");
    await kv.close();
    assert.equal(await pending, 1);
    await assert.rejects(kv.set("k", "w"), KVClosedError);
    await assert.rejects(kv.checkAndSet("k", 1, "w"), KVClosedError);
    await assert.rejects(kv.setIfNotExists("j", "w"), KVClosedError);
    await assert.rejects(kv.delete("k"), KVClosedError);
    const again = await t.reopen();
    try {
      assert.deepEqual(await again.get("k"), { value: "v", version: 1 });
    } finally {
      await again.close();
    }
  });
}
