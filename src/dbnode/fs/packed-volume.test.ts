// Writing an m3ts-format volume and reading it back: every series by exact
// ID, absent IDs, both kinds of data, series larger than a frame, the empty
// volume, input errors, and a seeded property test over volume shapes.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { SeriesData } from "../../codec/index.js";
import { encodeTags, murmur3_32, nodeFileSystem, seriesIdOfEncodedTags } from "../../x/index.js";
import {
  DuplicateSeriesIdError,
  FRAME_RAW_BYTES,
  InvalidVolumeInputError,
  listPackedVolumes,
  openPackedVolume,
  PackedVolumeMissingError,
  VolumeClosedError,
  writePackedVolume,
} from "./index.js";
import {
  bytesOf,
  compareIds,
  hexOf,
  kindOf,
  makePackedEntries,
  PV_BLOCK_SIZE_MS,
  PV_START_MS,
  packedId,
} from "./packed-volume-testing.js";
import type { PackedVolumeEntry } from "./packed-volume-writer.js";
import { withTempDir } from "./testing.js";

const fs = nodeFileSystem;

async function assertReadsBack(root: string, entries: PackedVolumeEntry[]): Promise<void> {
  const kept = entries.filter((e) => bytesOf(e.data).length > 0).sort(compareIds);
  const reader = await openPackedVolume(root, packedId(), fs);
  try {
    assert.equal(reader.info.entries, kept.length);
    for (const e of kept) {
      const got = await reader.read(e.id);
      assert.ok(got !== null, `series ${Buffer.from(e.id)} not found`);
      assert.equal(kindOf(got), kindOf(e.data));
      assert.equal(hexOf(bytesOf(got)), hexOf(bytesOf(e.data)));
    }
    let i = 0;
    for await (const e of reader.entries()) {
      assert.equal(hexOf(e.id), hexOf(kept[i].id));
      assert.equal(hexOf(e.encodedTags), hexOf(kept[i].encodedTags));
      assert.equal(kindOf(e.data), kindOf(kept[i].data));
      assert.equal(hexOf(bytesOf(e.data)), hexOf(bytesOf(kept[i].data)));
      i++;
    }
    assert.equal(i, kept.length);
    i = 0;
    for await (const s of reader.series()) {
      assert.equal(hexOf(s.id), hexOf(kept[i].id));
      assert.equal(hexOf(s.encodedTags), hexOf(kept[i].encodedTags));
      i++;
    }
    assert.equal(i, kept.length);
    const sections = reader.sections();
    const total = Object.values(sections).reduce((a, b) => a + b, 0);
    assert.equal(total, reader.info.fileBytes);
  } finally {
    await reader.close();
  }
}

test("volumes of random shapes read back every series exactly, by ID and in ID order", async () => {
  const shape = fc.record({
    size: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 3000 }) },
      { weight: 1, arbitrary: fc.integer({ min: FRAME_RAW_BYTES, max: 3 * FRAME_RAW_BYTES }) },
      { weight: 1, arbitrary: fc.constant(0) },
    ),
    packed: fc.boolean(),
    foreignId: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(shape, { maxLength: 120 }),
      fc.integer(),
      fc.boolean(),
      async (shapes, seed, presorted) => {
        await withTempDir(async (root) => {
          const entries = makePackedEntries(shapes, seed);
          const input = presorted ? [...entries].sort(compareIds) : entries;
          await writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, input, {
            fs,
            inIdOrder: presorted,
            zstdLevel: 3,
          });
          await assertReadsBack(root, entries);
        });
      },
    ),
    { seed: 16, numRuns: 40 },
  );
});

test("a lookup answers only the exact ID: neighbours, prefixes and tag-derived IDs of foreign IDs miss", async () => {
  await withTempDir(async (root) => {
    const shapes = Array.from({ length: 300 }, (_, i) => ({
      size: 50 + i,
      packed: i % 2 === 0,
      foreignId: i % 3 === 0,
    }));
    const entries = makePackedEntries(shapes, 5);
    await writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, entries, { fs });
    const reader = await openPackedVolume(root, packedId(), fs);
    try {
      const present = new Set(entries.map((e) => hexOf(e.id)));
      const assertAbsent = async (id: Uint8Array) => {
        if (!present.has(hexOf(id))) assert.equal(await reader.read(id), null, hexOf(id));
      };
      for (const e of entries) {
        const got = await reader.read(e.id);
        assert.ok(got !== null);
        assert.equal(hexOf(bytesOf(got)), hexOf(bytesOf(e.data)));
        const longer = new Uint8Array(e.id.length + 1);
        longer.set(e.id);
        await assertAbsent(longer);
        await assertAbsent(e.id.subarray(0, e.id.length - 1));
        const flipped = e.id.slice();
        flipped[flipped.length - 1] ^= 1;
        await assertAbsent(flipped);
      }
      // The ID the tags would give is not the series' ID when a foreign one was stored.
      for (const e of entries.filter((_, i) => i % 3 === 0)) {
        assert.equal(await reader.read(seriesIdOfEncodedTags(e.encodedTags)), null);
      }
    } finally {
      await reader.close();
    }
  });
});

/** Two distinct IDs with one murmur3_32 hash (a birthday search over a fixed family). */
function collidingIds(): [Uint8Array, Uint8Array] {
  const seen = new Map<number, number>();
  const enc = new TextEncoder();
  for (let i = 0; ; i++) {
    const h = murmur3_32(enc.encode(`{k="${i}"}`), 0);
    const j = seen.get(h);
    if (j !== undefined) return [enc.encode(`{k="${j}"}`), enc.encode(`{k="${i}"}`)];
    seen.set(h, i);
  }
}

test("two IDs with one hash are told apart by their bytes", async () => {
  const [a, b] = collidingIds();
  assert.equal(murmur3_32(a, 0), murmur3_32(b, 0));
  const tags = encodeTags([["k", "v"]]);
  await withTempDir(async (root) => {
    const da = Uint8Array.of(1, 2, 3);
    await writePackedVolume(
      root,
      packedId(),
      PV_BLOCK_SIZE_MS,
      [{ id: a, encodedTags: tags, data: da }],
      { fs },
    );
    const reader = await openPackedVolume(root, packedId(), fs);
    assert.equal(hexOf(bytesOf((await reader.read(a)) ?? new Uint8Array(0))), "010203");
    assert.equal(await reader.read(b), null);
    await reader.close();
    const both = [
      { id: a, encodedTags: tags, data: da },
      { id: b, encodedTags: tags, data: Uint8Array.of(9) },
    ];
    await writePackedVolume(root, packedId({ volume: 1 }), PV_BLOCK_SIZE_MS, both, { fs });
    const r2 = await openPackedVolume(root, packedId({ volume: 1 }), fs);
    assert.equal(hexOf(bytesOf((await r2.read(a)) ?? new Uint8Array(0))), "010203");
    assert.equal(hexOf(bytesOf((await r2.read(b)) ?? new Uint8Array(0))), "09");
    await r2.close();
  });
});

test("a read costs one frame and one metadata chunk read; a miss with no hash match costs none", async () => {
  await withTempDir(async (root) => {
    const shapes = Array.from({ length: 400 }, () => ({
      size: 700,
      packed: true,
      foreignId: false,
    }));
    const entries = makePackedEntries(shapes, 9).sort(compareIds);
    const info = await writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, entries, { fs });
    assert.ok(info.frames > 20, `${info.frames} frames`);
    const reader = await openPackedVolume(root, packedId(), fs);
    await reader.read(entries[200].id);
    assert.equal(reader.dataReads, 1);
    assert.equal(reader.indexReads, 1);
    // Its neighbour shares both, from the caches.
    await reader.read(entries[201].id);
    assert.equal(reader.dataReads, 1);
    assert.equal(reader.indexReads, 1);
    // Far away: another frame and chunk.
    await reader.read(entries[10].id);
    assert.equal(reader.dataReads, 2);
    assert.equal(reader.indexReads, 2);
    assert.equal(await reader.read(new TextEncoder().encode("absent")), null);
    assert.equal(reader.dataReads, 2);
    await reader.close();
  });
});

test("a series larger than the frame bound gets a frame of its own", async () => {
  await withTempDir(async (root) => {
    const shapes = [
      { size: 100, packed: false, foreignId: false },
      { size: 5 * FRAME_RAW_BYTES, packed: true, foreignId: false },
      { size: 100, packed: false, foreignId: false },
    ];
    const entries = makePackedEntries(shapes, 3);
    const info = await writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, entries, { fs });
    // Sorted by ID the big one sits between the two small ones, and no frame mixes it with them.
    assert.equal(info.frames, 3);
    await assertReadsBack(root, entries);
  });
});

test("an empty volume opens, holds nothing and answers every lookup with null", async () => {
  await withTempDir(async (root) => {
    const info = await writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, [], { fs });
    assert.deepEqual([info.entries, info.frames, info.metadataChunks], [0, 0, 0]);
    const reader = await openPackedVolume(root, packedId(), fs);
    assert.equal(await reader.read(new TextEncoder().encode("x")), null);
    for await (const _ of reader.entries()) assert.fail("an empty volume yielded an entry");
    await reader.close();
  });
});

test("entries come from an async iterable; info says what was written", async () => {
  await withTempDir(async (root) => {
    const entries = makePackedEntries(
      Array.from({ length: 40 }, (_, i) => ({ size: i, packed: false, foreignId: false })),
      4,
    );
    async function* source(): AsyncIterable<PackedVolumeEntry> {
      for (const e of entries) yield e;
    }
    const id = packedId({ endMs: PV_START_MS + 3 * PV_BLOCK_SIZE_MS, volume: 2 });
    const info = await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, source(), { fs });
    assert.equal(info.entries, 39); // the zero-length one is skipped
    const reader = await openPackedVolume(root, id, fs);
    assert.deepEqual(
      [reader.info.startMs, reader.info.endMs, reader.info.blockSizeMs, reader.info.volume],
      [PV_START_MS, PV_START_MS + 3 * PV_BLOCK_SIZE_MS, PV_BLOCK_SIZE_MS, 2],
    );
    assert.deepEqual(reader.info, info);
    await reader.close();
    await assert.rejects(reader.read(entries[1].id), VolumeClosedError);
  });
});

test("a duplicate ID or, with inIdOrder, an ID out of order fails the write and leaves no file", async () => {
  await withTempDir(async (root) => {
    const entries = makePackedEntries(
      Array.from({ length: 30 }, () => ({ size: 10, packed: false, foreignId: false })),
      6,
    );
    await assert.rejects(
      writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, [...entries, entries[7]], { fs }),
      DuplicateSeriesIdError,
    );
    const sorted = [...entries].sort(compareIds);
    [sorted[20], sorted[21]] = [sorted[21], sorted[20]];
    await assert.rejects(
      writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, sorted, { fs, inIdOrder: true }),
      (err: unknown) => err instanceof InvalidVolumeInputError && err.field === "entries",
    );
    assert.deepEqual(await listPackedVolumes(root, undefined, undefined, fs), []);
  });
});

test("bad volume ids and options are refused with the field named", async () => {
  const cases: Array<[string, Parameters<typeof packedId>[0], number, number | undefined]> = [
    ["namespace", { namespace: "" }, PV_BLOCK_SIZE_MS, undefined],
    ["namespace", { namespace: "a/b" }, PV_BLOCK_SIZE_MS, undefined],
    ["shard", { shard: -1 }, PV_BLOCK_SIZE_MS, undefined],
    ["shard", { shard: 2 ** 32 }, PV_BLOCK_SIZE_MS, undefined],
    ["startMs", { startMs: 0.5 }, PV_BLOCK_SIZE_MS, undefined],
    ["endMs", { endMs: PV_START_MS }, PV_BLOCK_SIZE_MS, undefined],
    ["volume", { volume: 1.5 }, PV_BLOCK_SIZE_MS, undefined],
    ["blockSizeMs", {}, 0, undefined],
    ["blockSizeMs", {}, 7_000_000, undefined],
    ["zstdLevel", {}, PV_BLOCK_SIZE_MS, 0],
    ["zstdLevel", {}, PV_BLOCK_SIZE_MS, 23],
  ];
  for (const [field, over, blockSizeMs, zstdLevel] of cases) {
    await assert.rejects(
      writePackedVolume("/nonexistent", packedId(over), blockSizeMs, [], { fs, zstdLevel }),
      (err: unknown) => err instanceof InvalidVolumeInputError && err.field === field,
      `${field} ${JSON.stringify(over)}`,
    );
  }
});

test("opening a volume that is not there raises PackedVolumeMissingError", async () => {
  await withTempDir(async (root) => {
    await assert.rejects(
      openPackedVolume(root, packedId(), fs),
      (err: unknown) =>
        err instanceof PackedVolumeMissingError && err.code === "M3TS_ERR_VOLUME_MISSING",
    );
  });
});

test("concurrent reads of one reader each get their own series", async () => {
  await withTempDir(async (root) => {
    const shapes = Array.from({ length: 500 }, (_, i) => ({
      size: 200 + (i % 300),
      packed: i % 3 === 0,
      foreignId: i % 7 === 0,
    }));
    const entries = makePackedEntries(shapes, 31);
    await writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, entries, { fs });
    const reader = await openPackedVolume(root, packedId(), fs);
    try {
      const got = await Promise.all(entries.map((e) => reader.read(e.id)));
      for (let i = 0; i < entries.length; i++) {
        assert.ok(got[i] !== null);
        assert.equal(kindOf(got[i] as SeriesData), kindOf(entries[i].data));
        assert.equal(hexOf(bytesOf(got[i] as SeriesData)), hexOf(bytesOf(entries[i].data)));
      }
      // Served copies: changing one does not change what the next read serves.
      bytesOf(got[0] as SeriesData).fill(0);
      const again = await reader.read(entries[0].id);
      assert.equal(hexOf(bytesOf(again as SeriesData)), hexOf(bytesOf(entries[0].data)));
    } finally {
      await reader.close();
    }
  });
});
