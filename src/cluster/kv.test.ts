// The KV contract on the embedded FileKV, and what only FileKV promises:
// a watcher is called once the change is on disk.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FileKV, KV_FILE, type KVValue } from "./index.js";
import { kvContract, waitForDeliveries } from "./kv-contract.js";

kvContract("FileKV", async () => {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-kv-"));
  return {
    kv: await FileKV.open(dir),
    reopen: () => FileKV.open(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

test("FileKV: a watcher is called once the change is in the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-kv-"));
  const kv = await FileKV.open(dir);
  try {
    const seen: (KVValue | null)[] = [];
    kv.watch("k", (v) => {
      const file = readFileSync(join(dir, KV_FILE), "utf8");
      if (v === null) assert.doesNotMatch(file, /\["k",/);
      else assert.ok(file.includes(`["k",${v.version},${JSON.stringify(v.value)}]`));
      seen.push(v);
    });
    await Promise.all([kv.set("k", "a"), kv.set("k", { b: [1] }), kv.delete("k")]);
    await waitForDeliveries(seen, 3);
    assert.deepEqual(seen, [{ value: "a", version: 1 }, { value: { b: [1] }, version: 2 }, null]);
  } finally {
    await kv.close();
    await rm(dir, { recursive: true, force: true });
  }
});
