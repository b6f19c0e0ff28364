// The embedded KV on disk: state survives a reopen, a crash before the
// rename leaves the old state, and a damaged file is a KVCorruptError naming
// it, never an empty KV or a crash.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { crc32c } from "../x/index.js";
import { FileKV, KV_FILE, KV_TEMP_FILE, KVCorruptError } from "./index.js";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-file-kv-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A directory holding a KV with a few keys, and the bytes of its file. */
async function populated(dir: string): Promise<Buffer> {
  const kv = await FileKV.open(dir);
  await kv.set("placement", { numShards: 64, note: "ünïcødé ✓" });
  await kv.set("placement", { numShards: 128 });
  await kv.set("namespaces", { namespaces: { default: { retention: "48h" } } });
  await kv.close();
  return readFile(join(dir, KV_FILE));
}

async function expectCorrupt(dir: string, why: RegExp): Promise<void> {
  await assert.rejects(FileKV.open(dir), (e: unknown) => {
    assert.ok(e instanceof KVCorruptError, String(e));
    assert.equal(e.code, "M3TS_ERR_KV_CORRUPT");
    assert.equal(e.path, join(dir, KV_FILE));
    assert.ok(e.message.includes(join(dir, KV_FILE)));
    assert.match(e.message, why);
    return true;
  });
}

test("a reopened KV holds every key with its value and version", () =>
  withDir(async (dir) => {
    await populated(dir);
    const kv = await FileKV.open(dir);
    assert.deepEqual(await kv.get("placement"), { value: { numShards: 128 }, version: 2 });
    assert.deepEqual(await kv.get("namespaces"), {
      value: { namespaces: { default: { retention: "48h" } } },
      version: 1,
    });
    // Versions continue where they were.
    assert.equal(await kv.set("placement", {}), 3);
    await kv.close();
  }));

test("a delete survives a reopen", () =>
  withDir(async (dir) => {
    await populated(dir);
    const kv = await FileKV.open(dir);
    await kv.delete("placement");
    await kv.close();
    const again = await FileKV.open(dir);
    assert.equal(await again.get("placement"), null);
    assert.notEqual(await again.get("namespaces"), null);
    await again.close();
  }));

test("an empty directory, or none, opens as an empty KV", () =>
  withDir(async (dir) => {
    const kv = await FileKV.open(join(dir, "nested", "kv"));
    assert.equal(await kv.get("anything"), null);
    await kv.close();
  }));

test("a leftover temp file (crash before the rename) is dropped and the old state stands", () =>
  withDir(async (dir) => {
    const before = await populated(dir);
    await writeFile(join(dir, KV_TEMP_FILE), before.subarray(0, before.length >> 1));
    const kv = await FileKV.open(dir);
    assert.deepEqual(await kv.get("placement"), { value: { numShards: 128 }, version: 2 });
    await assert.rejects(readFile(join(dir, KV_TEMP_FILE)), { code: "ENOENT" });
    await kv.close();
  }));

test("a temp file with no KV file (crash during the first write) opens empty", () =>
  withDir(async (dir) => {
    await writeFile(join(dir, KV_TEMP_FILE), "m3ts-kv 1 0000");
    const kv = await FileKV.open(dir);
    assert.equal(await kv.get("placement"), null);
    await kv.close();
  }));

test("a write that cannot reach the disk is refused and changes nothing", () =>
  withDir(async (dir) => {
    await populated(dir);
    const kv = await FileKV.open(dir);
    const seen: unknown[] = [];
    kv.watch("placement", (v) => seen.push(v));
    // A directory where the temp file goes makes the write fail.
    await mkdir(join(dir, KV_TEMP_FILE));
    await assert.rejects(kv.set("placement", { numShards: 1 }));
    await assert.rejects(kv.delete("placement"));
    assert.deepEqual(await kv.get("placement"), { value: { numShards: 128 }, version: 2 });
    await rm(join(dir, KV_TEMP_FILE), { recursive: true });
    // The next write works and takes the next version.
    assert.equal(await kv.set("placement", { numShards: 2 }), 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [{ value: { numShards: 2 }, version: 3 }]);
    await kv.close();
  }));

test("a truncated KV file is a KVCorruptError naming the file", () =>
  withDir(async (dir) => {
    const bytes = await populated(dir);
    await writeFile(join(dir, KV_FILE), bytes.subarray(0, bytes.length - 5));
    await expectCorrupt(dir, /body is \d+ bytes, the header says \d+/);
    await writeFile(join(dir, KV_FILE), "");
    await expectCorrupt(dir, /header line/);
  }));

test("a flipped byte in the body is caught by the checksum", () =>
  withDir(async (dir) => {
    const bytes = await populated(dir);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 3] ^= 0x01;
    await writeFile(join(dir, KV_FILE), damaged);
    await expectCorrupt(dir, /checksum/);
  }));

test("a file of another format version is refused", () =>
  withDir(async (dir) => {
    const bytes = await populated(dir);
    const text = bytes.toString("latin1").replace(/^m3ts-kv 1 /, "m3ts-kv 9 ");
    await writeFile(join(dir, KV_FILE), Buffer.from(text, "latin1"));
    await expectCorrupt(dir, /format version 9/);
  }));

test("any truncation or byte change of the file gives KVCorruptError, never another error", () =>
  withDir(async (dir) => {
    const good = await populated(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ cut: fc.nat({ max: good.length - 1 }) }),
          fc.record({
            at: fc.nat({ max: good.length - 1 }),
            xor: fc.integer({ min: 1, max: 255 }),
          }),
        ),
        async (damage) => {
          const bytes = Buffer.from(good);
          const damaged =
            "cut" in damage
              ? bytes.subarray(0, damage.cut)
              : (() => {
                  bytes[damage.at] ^= damage.xor;
                  return bytes;
                })();
          await writeFile(join(dir, KV_FILE), damaged);
          await assert.rejects(FileKV.open(dir), KVCorruptError);
        },
      ),
      { numRuns: 300 },
    );
  }));

test("garbage in place of the KV file gives KVCorruptError", () =>
  withDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 200 }),
          fc
            .tuple(fc.string(), fc.json())
            .map(([h, body]) => new TextEncoder().encode(`m3ts-kv 1 ${h}\n${body}`)),
        ),
        async (garbage) => {
          await writeFile(join(dir, KV_FILE), garbage);
          await assert.rejects(FileKV.open(dir), KVCorruptError);
        },
      ),
      { numRuns: 300 },
    );
  }));

test("a well-checksummed body that is not a list of entries is still refused", () =>
  withDir(async (dir) => {
    // Forged with a correct checksum and length, to reach the shape checks.
    for (const [body, why] of [
      ['{"a":1}', /not an array/],
      ['[["a",0,1]]', /entry 0/],
      ['[["a",1,1],["a",2,1]]', /entry 1/],
      ["[[1,1,1]]", /entry 0/],
      ["[nope", /not JSON/],
    ] as const) {
      const b = Buffer.from(body);
      const crc = crc32c(b).toString(16).padStart(8, "0");
      await writeFile(
        join(dir, KV_FILE),
        Buffer.concat([Buffer.from(`m3ts-kv 1 ${crc} ${b.length}\n`), b]),
      );
      await expectCorrupt(dir, why);
    }
  }));

test("keys of any text survive a reopen", () =>
  withDir(async (dir) => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { maxKeys: 8 }),
        async (entries) => {
          await rm(join(dir, KV_FILE), { force: true });
          const kv = await FileKV.open(dir);
          for (const [k, v] of Object.entries(entries)) await kv.set(k, v);
          await kv.close();
          const again = await FileKV.open(dir);
          for (const [k, v] of Object.entries(entries)) {
            // JSON has no -0; the store keeps what JSON keeps.
            assert.deepEqual(await again.get(k), {
              value: JSON.parse(JSON.stringify(v)),
              version: 1,
            });
          }
          await again.close();
        },
      ),
      { numRuns: 30 },
    );
  }));
