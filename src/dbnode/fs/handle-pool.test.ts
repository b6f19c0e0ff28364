// The handle pool keeps at most `max` files open while many volumes read.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import { FileHandlePool, openVolume, type VolumeReader, writeVolume } from "./index.js";
import { BLOCK_SIZE_MS, hex, makeEntries, volumeId, withTempDir } from "./testing.js";

test("five volumes reading through a pool of 2 never hold more than 2 handles", async () => {
  await withTempDir(async (root) => {
    const pool = new FileHandlePool(2, nodeFileSystem);
    const sets = [];
    const readers: VolumeReader[] = [];
    for (let v = 0; v < 5; v++) {
      const entries = makeEntries(40, 100 + v);
      sets.push(entries);
      await writeVolume(root, "data", volumeId(v), BLOCK_SIZE_MS, entries, { fs: nodeFileSystem });
      readers.push(await openVolume(root, "data", volumeId(v), pool));
      assert.ok(pool.size <= 2);
    }
    for (let i = 0; i < 40; i++) {
      for (let v = 0; v < 5; v++) {
        const got = await readers[v].read(sets[v][i].id);
        assert.equal(hex(got ?? new Uint8Array(0)), hex(sets[v][i].stream));
        assert.ok(pool.size <= 2, `pool holds ${pool.size}`);
      }
    }
    // Concurrent reads wait for a handle rather than open a third.
    const all = await Promise.all(
      sets.flatMap((entries, v) => entries.map((e) => readers[v].read(e.id))),
    );
    assert.ok(all.every((s) => s !== null));
    assert.equal(pool.highWater, 2);
    for (const r of readers) await r.close();
    await pool.close();
    assert.equal(pool.size, 0);
  });
});

test("a pool rejects a bound below 1", () => {
  assert.throws(() => new FileHandlePool(0, nodeFileSystem), RangeError);
});

test("the pool closes the least recently used idle handle first", async () => {
  await withTempDir(async (root) => {
    const paths = ["a", "b", "c"].map((n) => `${root}/${n}`);
    for (const p of paths) await writeFile(p, p);
    const [a, b, c] = paths;
    const pool = new FileHandlePool(2, nodeFileSystem);
    const touch = (p: string) => pool.use(p, async (fh) => (await fh.stat()).size);
    await touch(a);
    await touch(b);
    await touch(a);
    await touch(c); // evicts b, the least recently used
    assert.equal(pool.opens, 3);
    await touch(a);
    assert.equal(pool.opens, 3);
    await touch(b);
    assert.equal(pool.opens, 4);
    // Concurrent borrowers of one path share one handle.
    await Promise.all([touch(c), touch(c), touch(c)]);
    assert.ok(pool.size <= 2);
    await pool.close();
    await assert.rejects(touch(a), /closed/);
  });
});
