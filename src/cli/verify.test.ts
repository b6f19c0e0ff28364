import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { M3tszEncoder } from "../codec/index.js";
import {
  indexVolumePath,
  snapshotMetadataPath,
  volumeFilePath,
  writeIndexVolume,
  writeSnapshotMetadata,
  writeVolume,
} from "../dbnode/fs/index.js";
import { encodeSegments, MutableSegment } from "../index/index.js";
import { nodeFileSystem } from "../x/index.js";
import { main } from "./index.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dataDirWithVolumes(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-verify-"));
  dirs.push(dir);
  const enc = new M3tszEncoder(0);
  enc.append(1000, 1);
  const entries = [
    {
      id: new TextEncoder().encode('{__name__="up"}'),
      encodedTags: new Uint8Array(0),
      stream: enc.bytes(),
    },
  ];
  for (const blockStartMs of [0, 7_200_000]) {
    await writeVolume(
      dir,
      "data",
      { namespace: "m", shard: 3, blockStartMs, volume: 0 },
      7_200_000,
      entries,
      { fs: nodeFileSystem },
    );
  }
  return dir;
}

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, lines };
}

test("verify passes a healthy data directory", async () => {
  const dir = await dataDirWithVolumes();
  const { code, lines } = await run(["verify", dir]);
  assert.equal(code, 0, lines.join("\n"));
  assert.equal(lines.filter((l) => l.startsWith("ok ")).length, 2);
  assert.match(lines.at(-1) ?? "", /^2 checked, 0 damaged$/);
});

test("verify names a damaged volume and a corrupt commit log, and exits 1", async () => {
  const dir = await dataDirWithVolumes();
  const path = volumeFilePath(
    dir,
    "data",
    { namespace: "m", shard: 3, blockStartMs: 7_200_000, volume: 0 },
    "data",
  );
  const bytes = await readFile(path);
  bytes[bytes.length - 1] ^= 0xff;
  await writeFile(path, bytes);
  await mkdir(join(dir, "commitlogs"));
  await writeFile(join(dir, "commitlogs", "commitlog-0-1.db"), "garbage");
  const { code, lines } = await run(["verify", dir]);
  assert.equal(code, 1, lines.join("\n"));
  assert.ok(
    lines.some((l) => /^DAMAGED {2}data m\/3 block 7200000 volume 0: /.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^DAMAGED {2}commit log .*commitlog-0-1\.db/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^ok {7}data m\/3 block 0 volume 0$/.test(l)),
    lines.join("\n"),
  );
  assert.match(lines.at(-1) ?? "", /3 checked, 2 damaged/);
});

test("verify without a directory, or with one that does not exist, is a usage error", async () => {
  assert.equal((await run(["verify"])).code, 2);
  const missing = await run(["verify", join(tmpdir(), "m3ts-no-such-dir-xyz")]);
  assert.equal(missing.code, 2);
  assert.match(missing.lines[0], /is not a directory/);
});

test("verify checks snapshot metadata and names an invalid one", async () => {
  const dir = await dataDirWithVolumes();
  await writeSnapshotMetadata(
    dir,
    { index: 4, commitLogIndex: 9, takenAtMs: 1000 },
    nodeFileSystem,
  );
  const healthy = await run(["verify", dir]);
  assert.equal(healthy.code, 0, healthy.lines.join("\n"));
  assert.ok(healthy.lines.includes("ok       snapshot metadata 4 (commit logs from 9)"));
  const path = snapshotMetadataPath(dir, 4);
  const bytes = await readFile(path);
  bytes[20] ^= 1;
  await writeFile(path, bytes);
  const { code, lines } = await run(["verify", dir]);
  assert.equal(code, 1);
  assert.ok(
    lines.some((l) => l.startsWith("DAMAGED  snapshot metadata 4: ")),
    lines.join("\n"),
  );
  assert.match(lines.at(-1) ?? "", /^3 checked, 1 damaged$/);
});

test("verify checks index volumes: their checksums and their segment", async () => {
  const dir = await dataDirWithVolumes();
  const seg = new MutableSegment();
  seg.insert('{__name__="up"}', [["__name__", "up"]]);
  const bytes = await encodeSegments([seg]);
  const info = (volume: number, segment: Uint8Array) => ({
    namespace: "m",
    blockStartMs: 0,
    blockSizeMs: 7_200_000,
    volume,
    docs: 1,
    segmentBytes: segment.length,
  });
  await writeIndexVolume(dir, info(0, bytes), bytes, nodeFileSystem);
  // A volume whose checksums hold but whose segment is not one.
  const junk = new Uint8Array(20);
  await writeIndexVolume(dir, info(1, junk), junk, nodeFileSystem);
  const { code, lines } = await run(["verify", dir]);
  assert.equal(code, 1);
  assert.ok(lines.includes("ok       index m block 0 volume 0 (1 series)"), lines.join("\n"));
  assert.ok(
    lines.some((l) =>
      /^DAMAGED {2}index m block 0 volume 1: index segment is malformed: bad magic/.test(l),
    ),
    lines.join("\n"),
  );
  const segmentPath = indexVolumePath(dir, info(0, bytes), "segment");
  const raw = await readFile(segmentPath);
  raw[raw.length - 1] ^= 1;
  await writeFile(segmentPath, raw);
  const again = await run(["verify", dir]);
  assert.ok(
    again.lines.some((l) => /^DAMAGED {2}index m block 0 volume 0: .*segment file: crc32/.test(l)),
    again.lines.join("\n"),
  );
});
