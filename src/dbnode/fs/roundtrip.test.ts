// Writing a volume and reading it back: every series by ID, misses, the
// entries in ID order, duplicates, empty volumes and a seeded property test.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { test } from "node:test";
import fc from "fast-check";
import { nodeFileSystem } from "../../x/index.js";
import {
  DuplicateSeriesIdError,
  listVolumes,
  openVolume,
  VolumeClosedError,
  type VolumeEntry,
  VolumeWriteError,
  writeVolume,
} from "./index.js";
import {
  BLOCK_SIZE_MS,
  BLOCK_START_MS,
  hex,
  makeEntries,
  seriesId,
  volumeId,
  withTempDir,
} from "./testing.js";

test("a volume of 3000 series reads back every stream exactly, by ID and in ID order", async () => {
  await withTempDir(async (root) => {
    const entries = makeEntries(3000, 7);
    const info = await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, entries, {
      fs: nodeFileSystem,
    });
    assert.equal(info.entries, 3000);
    assert.equal(info.blockStartMs, BLOCK_START_MS);
    assert.equal(info.blockSizeMs, BLOCK_SIZE_MS);
    assert.equal(info.summaries, Math.ceil(3000 / 33));

    const reader = await openVolume(root, "data", volumeId(), nodeFileSystem);
    try {
      assert.deepEqual(reader.info, info);
      for (const e of entries) {
        const got = await reader.read(e.id);
        assert.ok(got !== null, `series ${Buffer.from(e.id)} not found`);
        assert.equal(hex(got), hex(e.stream));
      }
      assert.equal(reader.indexReads, 3000);

      // Misses: the bloom filter answers most of them without touching the index.
      const before = reader.indexReads;
      const misses = 2000;
      for (let i = 0; i < misses; i++) {
        assert.equal(await reader.read(seriesId(100_000 + i)), null);
      }
      const touched = reader.indexReads - before;
      assert.ok(touched < misses * 0.06, `${touched} of ${misses} misses read the index`);

      const sorted = [...entries].sort((a, b) => Buffer.compare(a.id, b.id));
      let i = 0;
      for await (const e of reader.entries()) {
        assert.equal(hex(e.id), hex(sorted[i].id));
        assert.equal(hex(e.encodedTags), hex(sorted[i].encodedTags));
        assert.equal(hex(e.stream), hex(sorted[i].stream));
        i++;
      }
      assert.equal(i, 3000);
    } finally {
      await reader.close();
    }
  });
});

test("entries arrive from an async iterable and zero-length streams are skipped", async () => {
  await withTempDir(async (root) => {
    const entries = makeEntries(50, 8);
    async function* source(): AsyncIterable<VolumeEntry> {
      for (const e of entries) yield e;
      yield { id: seriesId(999), encodedTags: new Uint8Array(0), stream: new Uint8Array(0) };
    }
    const info = await writeVolume(root, "snapshot", volumeId(), BLOCK_SIZE_MS, source(), {
      fs: nodeFileSystem,
      snapshotTimeMs: BLOCK_START_MS + 60_000,
    });
    assert.equal(info.entries, 50);
    assert.equal(info.snapshotTimeMs, BLOCK_START_MS + 60_000);
    const reader = await openVolume(root, "snapshot", volumeId(), nodeFileSystem);
    assert.equal(await reader.read(seriesId(999)), null);
    assert.equal(
      hex((await reader.read(entries[0].id)) ?? new Uint8Array(0)),
      hex(entries[0].stream),
    );
    await reader.close();
    await assert.rejects(reader.read(entries[0].id), VolumeClosedError);
    assert.equal((await listVolumes(root, "data", undefined, undefined, nodeFileSystem)).length, 0);
    assert.equal(
      (await listVolumes(root, "snapshot", undefined, undefined, nodeFileSystem))[0].complete,
      true,
    );
  });
});

test("duplicate series IDs are rejected and leave no complete volume", async () => {
  await withTempDir(async (root) => {
    const entries = makeEntries(20, 9);
    entries.push({ ...entries[5], stream: entries[6].stream });
    await assert.rejects(
      writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, entries, { fs: nodeFileSystem }),
      (err: unknown) =>
        err instanceof DuplicateSeriesIdError &&
        err.code === "M3TS_ERR_VOLUME_DUPLICATE_ID" &&
        err.idHex === hex(entries[5].id),
    );
    const listed = await listVolumes(root, "data", undefined, undefined, nodeFileSystem);
    assert.ok(listed.every((v) => !v.complete));
    assert.ok(listed.every((v) => v.paths.every((p) => !p.endsWith(".tmp"))));
  });
});

test("an empty volume writes, opens, reads nothing and lists as complete", async () => {
  await withTempDir(async (root) => {
    const info = await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, [], {
      fs: nodeFileSystem,
    });
    assert.equal(info.entries, 0);
    assert.equal(info.summaries, 0);
    const reader = await openVolume(root, "data", volumeId(), nodeFileSystem);
    assert.equal(await reader.read(seriesId(1)), null);
    let n = 0;
    for await (const _ of reader.entries()) n++;
    assert.equal(n, 0);
    await reader.close();
    const [v] = await listVolumes(root, "data", undefined, undefined, nodeFileSystem);
    assert.equal(v.complete, true);
    assert.equal(v.paths.length, 7);
  });
});

test("property: random sets of (id, tags, stream) round-trip", async () => {
  const entry = fc.record({
    id: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    encodedTags: fc.uint8Array({ maxLength: 30 }),
    stream: fc.uint8Array({ minLength: 1, maxLength: 200 }),
  });
  const arb = fc.record({
    entries: fc.uniqueArray(entry, { maxLength: 120, selector: (e) => hex(e.id) }),
    summariesPercent: fc.constantFrom(0.03, 0.1, 0.5, 1),
  });
  await withTempDir(async (root) => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ entries, summariesPercent }) => {
        const id = volumeId(round++);
        await writeVolume(root, "data", id, BLOCK_SIZE_MS, entries, {
          fs: nodeFileSystem,
          summariesPercent,
        });
        const reader = await openVolume(root, "data", id, nodeFileSystem);
        try {
          for (const e of entries) {
            const got = await reader.read(e.id);
            assert.ok(got !== null);
            assert.equal(hex(got), hex(e.stream));
          }
          const seen: string[] = [];
          for await (const e of reader.entries()) seen.push(hex(e.id) + hex(e.encodedTags));
          const want = [...entries]
            .sort((a, b) => Buffer.compare(a.id, b.id))
            .map((e) => hex(e.id) + hex(e.encodedTags));
          assert.deepEqual(seen, want);
        } finally {
          await reader.close();
        }
      }),
      { seed: 20_261_122, numRuns: 60 },
    );
  });
});

test("streams and IDs larger than the 64 KiB buffers round-trip", async () => {
  await withTempDir(async (root) => {
    const big = new Uint8Array(150_000).map((_, i) => (i * 31) & 0xff);
    const longId = new Uint8Array(70_000).fill(0x7a);
    const entries: VolumeEntry[] = [
      ...makeEntries(100, 21),
      { id: seriesId(-1), encodedTags: new Uint8Array(0), stream: big },
      { id: longId, encodedTags: new Uint8Array(80_000).fill(1), stream: new Uint8Array([1, 2]) },
    ];
    await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, entries, { fs: nodeFileSystem });
    const reader = await openVolume(root, "data", volumeId(), nodeFileSystem);
    for (const e of entries) {
      assert.equal(hex((await reader.read(e.id)) ?? new Uint8Array(0)), hex(e.stream));
    }
    let n = 0;
    let longTags = 0;
    for await (const e of reader.entries()) {
      n++;
      if (e.encodedTags.length === 80_000) longTags++;
    }
    assert.equal(n, 102);
    assert.equal(longTags, 1);
    await reader.close();
  });
});

test("a file operation that fails raises VolumeWriteError naming the path", async () => {
  await withTempDir(async (root) => {
    await writeFile(`${root}/data`, "not a directory");
    await assert.rejects(
      writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, makeEntries(3, 1), {
        fs: nodeFileSystem,
      }),
      (err: unknown) =>
        err instanceof VolumeWriteError &&
        err.code === "M3TS_ERR_VOLUME_WRITE" &&
        err.op === "mkdir" &&
        err.path.startsWith(`${root}/data`),
    );
  });
});

test("property: IDs with shared prefixes, zero bytes and prefixes of each other sort bytewise", async () => {
  const idArb = fc
    .array(fc.constantFrom(0, 1, 0x61, 0xff), { maxLength: 12 })
    .map((tail) => new Uint8Array([0x7b, 0x7b, ...tail]));
  await withTempDir(async (root) => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(idArb, { minLength: 1, maxLength: 60, selector: hex }),
        async (ids) => {
          const id = volumeId(round++);
          const entries = ids.map((i) => ({
            id: i,
            encodedTags: new Uint8Array(0),
            stream: new Uint8Array([i.length]),
          }));
          await writeVolume(root, "data", id, BLOCK_SIZE_MS, entries, { fs: nodeFileSystem });
          const reader = await openVolume(root, "data", id, nodeFileSystem);
          const seen: string[] = [];
          for await (const e of reader.entries()) seen.push(hex(e.id));
          await reader.close();
          assert.deepEqual(seen, [...ids].sort((a, b) => Buffer.compare(a, b)).map(hex));
        },
      ),
      { seed: 20_261_123, numRuns: 80 },
    );
  });
});
