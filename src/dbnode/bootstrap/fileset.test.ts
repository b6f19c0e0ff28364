import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { test } from "node:test";
import { nodeFileSystem } from "../../x/index.js";
import { type DataVolumeId, listVolumes, type VolumeId, volumeFilePath } from "../fs/index.js";
import { noFindings } from "./bootstrapper.js";
import { filesetBootstrapper, serveDataVolumes } from "./fileset.js";
import {
  BLOCK,
  contextOf,
  FakeTarget,
  HOUR,
  idOf,
  namespaceOf,
  T0,
  tempDir,
  writeSeriesVolume,
} from "./testing.js";

const NOW = T0 + 3 * BLOCK;
const EXPIRED = T0 - 24 * HOUR;

function vol(namespace: string, blockStartMs: number, volume: number): VolumeId {
  return { namespace, shard: 0, blockStartMs, volume };
}

/** How a served M3-format volume of one block names itself. */
function served(namespace: string, startMs: number, volume: number): DataVolumeId {
  return { namespace, shard: 0, startMs, endMs: startMs + BLOCK, volume, format: "m3" };
}

/** Two volumes of one block, one of a block past retention, one of a namespace that is gone. */
async function dataDir(): Promise<string> {
  const root = await tempDir();
  await writeSeriesVolume(root, "data", vol("m", T0, 0), { a: [[T0, 1]] });
  await writeSeriesVolume(root, "data", vol("m", T0, 1), { a: [[T0, 1]], b: [[T0, 2]] });
  await writeSeriesVolume(root, "data", vol("m", EXPIRED, 0), { a: [[EXPIRED, 0]] });
  await writeSeriesVolume(root, "data", vol("gone", T0, 0), { a: [[T0, 3]] });
  return root;
}

async function dataVolumesOn(root: string): Promise<string[]> {
  return (await listVolumes(root, "data", undefined, undefined, nodeFileSystem)).map(
    (v) => `${v.namespace}/${v.blockStartMs - T0}/${v.volume}`,
  );
}

test("the newest volume of each block is served; superseded, expired and dropped ones go", async () => {
  const root = await dataDir();
  const m = namespaceOf("m", { index: { enabled: true } });
  const target = new FakeTarget(NOW, [m]);
  const ctx = contextOf(root, target);
  const found = noFindings();
  await filesetBootstrapper.bootstrap(ctx, found);
  assert.deepEqual(
    target.served.map((r) => r.id),
    [served("m", T0, 1)],
  );
  // Every volume number of a served block is noted, so no flush reuses one.
  assert.deepEqual(target.noted.map((v) => v.volume).sort(), [0, 1]);
  assert.equal(ctx.progress.volumesServed, 1);
  assert.equal(found.volumesRemoved, 3);
  assert.deepEqual(await dataVolumesOn(root), ["m/0/1"]);
  // Served, not loaded: the series are indexed from the volume, their data stays on disk.
  assert.deepEqual(m.restored, []);
  assert.ok(m.index?.has(idOf("a"), T0));
  assert.ok(m.index?.has(idOf("b"), T0));
  assert.deepEqual(target.cached, []);
  await target.close();
});

test("with a cache that keeps everything, the served volumes' series are read into it", async () => {
  const root = await dataDir();
  const target = new FakeTarget(NOW, [namespaceOf("m")]);
  target.cachesEverything = true;
  await serveDataVolumes(contextOf(root, target));
  assert.deepEqual(target.cached.map((c) => c.id).sort(), [idOf("a"), idOf("b")].sort());
  assert.ok(target.cached.every((c) => c.volumeKey === `m/0/${T0}/1`));
  await target.close();
});

test("series of a block whose index blocks were all loaded from index volumes are not indexed again", async () => {
  const root = await dataDir();
  const m = namespaceOf("m", { index: { enabled: true } });
  const target = new FakeTarget(NOW, [m]);
  await serveDataVolumes(contextOf(root, target), new Map([["m", new Set([T0])]]));
  assert.equal(target.served.length, 1);
  assert.equal(m.index?.has(idOf("a"), T0), false);
  await target.close();
});

test("a damaged newest volume is reported and kept on disk, and the one before it is served", async () => {
  const root = await dataDir();
  const path = volumeFilePath(root, "data", vol("m", T0, 1), "index");
  const bytes = await readFile(path);
  bytes[0] ^= 1;
  await writeFile(path, bytes);
  const target = new FakeTarget(NOW, [namespaceOf("m")]);
  const ctx = contextOf(root, target);
  const counts = await serveDataVolumes(ctx);
  assert.deepEqual(counts, { served: 1, removed: 2 });
  assert.deepEqual(
    target.served.map((r) => r.id),
    [served("m", T0, 0)],
  );
  assert.deepEqual(ctx.corrupt, ["data"]);
  assert.match(ctx.progress.volumesCorrupt[0], /^data: fileset volume m\/0\/\d+-1 is corrupt/);
  assert.deepEqual((await dataVolumesOn(root)).sort(), ["m/0/0", "m/0/1"]);
  await target.close();
});
