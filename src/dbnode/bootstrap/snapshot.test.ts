import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import {
  listSnapshotMetadata,
  listVolumes,
  volumeFilePath,
  writeSnapshotMetadata,
} from "../fs/index.js";
import { noFindings } from "./bootstrapper.js";
import { snapshotBootstrapper } from "./snapshot.js";
import {
  contextOf,
  FakeTarget,
  HOUR,
  MIN,
  namespaceOf,
  T0,
  tempDir,
  writeSeriesVolume,
} from "./testing.js";

const NOW = T0 + 2 * HOUR + 30 * MIN;

/** Snapshots 1 and 3 with their metadata, and the volume of a snapshot 4 cut short before its metadata. */
async function threeSnapshots(): Promise<string> {
  const root = await tempDir();
  const vol = (namespace: string, volume: number) => ({
    namespace,
    shard: 0,
    blockStartMs: T0,
    volume,
  });
  await writeSeriesVolume(root, "snapshot", vol("m", 1), { a: [[T0 + MIN, 10]] }, T0 + HOUR);
  await writeSnapshotMetadata(
    root,
    { index: 1, commitLogIndex: 5, takenAtMs: T0 + HOUR },
    nodeFileSystem,
  );
  await writeSeriesVolume(
    root,
    "snapshot",
    vol("m", 3),
    {
      a: [
        [T0 + MIN, 1],
        [T0 + HOUR, 2],
      ],
      b: [[T0 + HOUR, 5]],
    },
    T0 + 2 * HOUR,
  );
  await writeSeriesVolume(root, "snapshot", vol("gone", 3), { a: [[T0 + HOUR, 7]] }, T0 + 2 * HOUR);
  await writeSnapshotMetadata(
    root,
    { index: 3, commitLogIndex: 7, takenAtMs: T0 + 2 * HOUR },
    nodeFileSystem,
  );
  await writeSeriesVolume(root, "snapshot", vol("m", 4), { a: [[T0 + HOUR, 9]] }, NOW);
  return root;
}

test("the latest complete snapshot is loaded within retention; it names where the commit log takes over", async () => {
  const root = await threeSnapshots();
  // Retention reaches back to T0 + 30 min: the first datapoint of the block has left it.
  const m = namespaceOf("m", { retentionPeriodMs: 2 * HOUR });
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  const found = noFindings();
  await snapshotBootstrapper.bootstrap(ctx, found);
  assert.deepEqual(m.pointsOf("a"), [[T0 + HOUR, 2]]);
  assert.deepEqual(m.pointsOf("b"), [[T0 + HOUR, 5]]);
  assert.equal(ctx.progress.snapshotDatapoints, 2);
  assert.equal(found.snapshotIndex, 3);
  assert.equal(found.commitLogFromIndex, 7);
  // Above every snapshot number on disk, the one cut short included.
  assert.equal(found.nextSnapshotIndex, 5);
  assert.ok(ctx.logger.entries.some((e) => /loaded the latest snapshot/.test(e.message)));
});

test("older snapshot metadata goes at once; other snapshots' volumes stay until the next snapshot's cleanup", async () => {
  const root = await threeSnapshots();
  const ctx = contextOf(root, new FakeTarget(NOW, [namespaceOf("m")]));
  await snapshotBootstrapper.bootstrap(ctx, noFindings());
  const listing = await listSnapshotMetadata(root, nodeFileSystem);
  assert.deepEqual(
    listing.complete.map((m) => m.index),
    [3],
  );
  const volumes = await listVolumes(root, "snapshot", undefined, undefined, nodeFileSystem);
  assert.deepEqual([...new Set(volumes.map((v) => v.volume))].sort(), [1, 3, 4]);
});

test("without a snapshot nothing is loaded and the commit log replays from its first file", async () => {
  const root = await tempDir();
  const ctx = contextOf(root, new FakeTarget(NOW, [namespaceOf("m")]));
  const found = noFindings();
  await snapshotBootstrapper.bootstrap(ctx, found);
  assert.equal(found.snapshotIndex, null);
  assert.equal(found.commitLogFromIndex, 0);
  assert.equal(found.nextSnapshotIndex, 0);
  assert.equal(ctx.progress.snapshotDatapoints, 0);
});

test("a damaged snapshot volume is counted, reported and skipped, and bootstrap goes on", async () => {
  const root = await threeSnapshots();
  const damaged = { namespace: "m", shard: 0, blockStartMs: T0, volume: 3 };
  const path = volumeFilePath(root, "snapshot", damaged, "index");
  const bytes = await readFile(path);
  bytes[0] ^= 1;
  await writeFile(path, bytes);
  const m = namespaceOf("m");
  const ctx = contextOf(root, new FakeTarget(NOW, [m]));
  await snapshotBootstrapper.bootstrap(ctx, noFindings());
  assert.deepEqual(m.restored, []);
  assert.deepEqual(ctx.corrupt, ["snapshot"]);
  assert.equal(ctx.progress.volumesCorrupt.length, 1);
  assert.match(ctx.progress.volumesCorrupt[0], /^snapshot: .* index file/);
  assert.ok(ctx.logger.entries.some((e) => e.level === "error"));
});
