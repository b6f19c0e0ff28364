// m3ts-format volume files on disk: listing and its order, temp files,
// removal, verification of a data directory, and a crash at every step of a
// write leaving either no volume or a whole one.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { test } from "node:test";
import type { FileHandle, FileStat, FileSystem, OpenFlags } from "../../x/index.js";
import { nodeFileSystem } from "../../x/index.js";
import {
  listPackedVolumes,
  openPackedVolume,
  packedVolumePath,
  removePackedTempFiles,
  removePackedVolume,
  verifyDataDir,
  writePackedVolume,
  writeVolume,
} from "./index.js";
import {
  bytesOf,
  hexOf,
  makePackedEntries,
  PV_BLOCK_SIZE_MS,
  PV_START_MS,
  packedId,
} from "./packed-volume-testing.js";
import type { PackedVolumeEntry } from "./packed-volume-writer.js";
import { BLOCK_SIZE_MS, makeEntries, volumeId, withTempDir } from "./testing.js";

const fs = nodeFileSystem;
const few = (seed: number, n = 5) =>
  makePackedEntries(
    Array.from({ length: n }, (_, i) => ({ size: 20 + i, packed: i % 2 === 0, foreignId: false })),
    seed,
  );

test("listing finds volume files of every namespace, sorted, temp files as incomplete", async () => {
  await withTempDir(async (root) => {
    const ids = [
      packedId({ namespace: "b", shard: 2 }),
      packedId({ namespace: "a", shard: 10 }),
      packedId({ namespace: "a", shard: 2, volume: 1 }),
      packedId({ namespace: "a", shard: 2 }),
      packedId({ namespace: "a", shard: 2, startMs: PV_START_MS - 2 * PV_BLOCK_SIZE_MS }),
    ];
    for (const id of ids) await writePackedVolume(root, id, PV_BLOCK_SIZE_MS, few(1), { fs });
    // A crashed write's temp file, an M3-format volume's shard folder and stray files beside them.
    const tmp = `${packedVolumePath(root, packedId({ namespace: "a", shard: 2, volume: 7 }))}.tmp`;
    await writeFile(tmp, "partial");
    await writeVolume(
      root,
      "data",
      { ...volumeId(), namespace: "a" },
      BLOCK_SIZE_MS,
      makeEntries(3, 1),
      {
        fs,
      },
    );
    await writeFile(join(root, "data", "a", "fileset-2-01-7200000-0.m3ts"), "not our name");
    await writeFile(join(root, "data", "a", "notes.txt"), "x");

    const all = await listPackedVolumes(root, undefined, undefined, fs);
    assert.deepEqual(
      all.map((v) => [v.namespace, v.shard, v.startMs - PV_START_MS, v.volume, v.complete]),
      [
        ["a", 2, -2 * PV_BLOCK_SIZE_MS, 0, true],
        ["a", 2, 0, 0, true],
        ["a", 2, 0, 1, true],
        ["a", 2, 0, 7, false],
        ["a", 10, 0, 0, true],
        ["b", 2, 0, 0, true],
      ],
    );
    assert.equal(all[3].path, tmp);
    // That one spans three blocks.
    assert.equal(all[0].endMs, PV_START_MS + PV_BLOCK_SIZE_MS);
    assert.deepEqual(
      (await listPackedVolumes(root, "a", 10, fs)).map((v) => v.path),
      [packedVolumePath(root, packedId({ namespace: "a", shard: 10 }))],
    );
    assert.deepEqual(await listPackedVolumes(root, "missing", undefined, fs), []);

    assert.deepEqual(await removePackedTempFiles(root, fs), [tmp]);
    await removePackedVolume(root, ids[0], fs);
    await removePackedVolume(root, ids[0], fs); // already gone: no error
    assert.deepEqual(
      (await listPackedVolumes(root, undefined, undefined, fs)).map((v) => basename(v.path)),
      [ids[4], ids[3], ids[2], ids[1]].map((id) => basename(packedVolumePath(root, id))),
    );
  });
});

test("verifyDataDir reads through m3ts-format volumes and reports a damaged frame", async () => {
  await withTempDir(async (root) => {
    const good = packedId({ shard: 1 });
    const bad = packedId({ shard: 2 });
    await writePackedVolume(root, good, PV_BLOCK_SIZE_MS, few(2, 50), { fs });
    await writePackedVolume(root, bad, PV_BLOCK_SIZE_MS, few(3, 50), { fs });
    await writeVolume(root, "data", volumeId(), BLOCK_SIZE_MS, makeEntries(5, 2), { fs });
    const path = packedVolumePath(root, bad);
    const bytes = await readFile(path);
    bytes[70] ^= 1; // inside the first frame: only a read of it can tell
    await writeFile(path, bytes);
    const results = await verifyDataDir(root, fs);
    assert.deepEqual(
      results.map((r) => [r.volume.format ?? "m3", r.volume.shard, r.ok]),
      [
        ["m3", 3, true],
        ["m3ts", 1, true],
        ["m3ts", 2, false],
      ],
    );
    assert.equal(results[1].volume.endMs, good.endMs);
    assert.match(results[2].error ?? "", /frames file: fileset-2-.*frame 0: crc32/);
  });
});

/**
 * An in-memory file system with a disk's durability: a file's bytes survive a
 * crash up to its last fsync, a directory entry once the directory is synced
 * (or, for a new file, once the file is: ext4 commits the creation with it).
 * After `failAfter` operations every operation fails, as if the process died.
 */
class CrashFs implements FileSystem {
  failAfter = Number.POSITIVE_INFINITY;
  ops = 0;
  private readonly dirs = new Map<
    string,
    { now: Map<string, Inode>; durable: Map<string, Inode> }
  >();

  private step(path: string): void {
    if (++this.ops > this.failAfter) {
      throw Object.assign(new Error(`crashed before an operation on ${path}`), { code: "EIO" });
    }
  }

  private dir(path: string) {
    const d = this.dirs.get(path);
    if (d === undefined) throw Object.assign(new Error(`no dir ${path}`), { code: "ENOENT" });
    return d;
  }

  private inode(path: string): Inode {
    const f = this.dir(dirname(path)).now.get(basename(path));
    if (f === undefined) throw Object.assign(new Error(`no file ${path}`), { code: "ENOENT" });
    return f;
  }

  crash(): void {
    this.failAfter = Number.POSITIVE_INFINITY;
    for (const d of this.dirs.values()) {
      d.now = new Map(d.durable);
      for (const f of d.now.values()) f.data = f.durable.slice();
    }
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    this.step(path);
    const d = this.dir(dirname(path));
    let f = d.now.get(basename(path));
    if (flags !== "r") {
      if (f === undefined || flags === "w") {
        f = {
          data: new Uint8Array(0),
          durable: new Uint8Array(0),
          entry: { d, name: basename(path) },
        };
        d.now.set(basename(path), f);
      }
    } else if (f === undefined) {
      throw Object.assign(new Error(`no file ${path}`), { code: "ENOENT" });
    }
    const file = f;
    const self = this;
    const syncFile = async () => {
      self.step(path);
      file.durable = file.data.slice();
      file.entry.d.durable.set(file.entry.name, file);
    };
    return {
      async read(buf, offset, length, position) {
        const n = Math.max(0, Math.min(length, file.data.length - position));
        buf.set(file.data.subarray(position, position + n), offset);
        return { bytesRead: n };
      },
      async write(buf, offset = 0, length = buf.length - offset) {
        self.step(path);
        const next = new Uint8Array(file.data.length + length);
        next.set(file.data);
        next.set(buf.subarray(offset, offset + length), file.data.length);
        file.data = next;
        return { bytesWritten: length };
      },
      sync: syncFile,
      datasync: syncFile,
      async stat() {
        return stat(file.data.length, false);
      },
      async close() {},
    };
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.inode(path).data.slice();
  }

  async writeFile(): Promise<void> {
    throw new Error("not used");
  }

  async readdir(path: string): Promise<string[]> {
    return [
      ...this.dir(path).now.keys(),
      ...[...this.dirs.keys()]
        .filter((k) => dirname(k) === path && k !== path)
        .map((k) => basename(k)),
    ];
  }

  async mkdir(path: string): Promise<void> {
    this.step(path);
    for (let p = path; !this.dirs.has(p); p = dirname(p)) {
      this.dirs.set(p, { now: new Map(), durable: new Map() });
    }
  }

  async rm(): Promise<void> {
    throw new Error("not used");
  }

  async rename(from: string, to: string): Promise<void> {
    this.step(from);
    const f = this.inode(from);
    this.dir(dirname(from)).now.delete(basename(from));
    this.dir(dirname(to)).now.set(basename(to), f);
    f.entry = { d: this.dir(dirname(to)), name: basename(to) };
  }

  async unlink(path: string): Promise<void> {
    this.step(path);
    this.inode(path);
    this.dir(dirname(path)).now.delete(basename(path));
  }

  async stat(path: string): Promise<FileStat> {
    if (this.dirs.has(path)) return stat(0, true);
    return stat(this.inode(path).data.length, false);
  }

  async syncDir(path: string): Promise<void> {
    this.step(path);
    const d = this.dir(path);
    d.durable = new Map(d.now);
  }
}

interface Inode {
  data: Uint8Array;
  durable: Uint8Array;
  entry: { d: { durable: Map<string, Inode> }; name: string };
}

function stat(size: number, dir: boolean): FileStat {
  return { size, mtimeMs: 0, isFile: () => !dir, isDirectory: () => dir };
}

/** The volume's series as the reader serves them, as hex, or null when no complete file is listed. */
async function contents(crashFs: CrashFs): Promise<string[] | null> {
  const listed = (await listPackedVolumes("/r", undefined, undefined, crashFs)).filter(
    (v) => v.complete,
  );
  if (listed.length === 0) return null;
  assert.equal(listed.length, 1);
  const reader = await openPackedVolume("/r", listed[0], crashFs);
  const out: string[] = [];
  for await (const e of reader.entries()) out.push(`${hexOf(e.id)}:${hexOf(bytesOf(e.data))}`);
  await reader.close();
  return out;
}

function expected(entries: PackedVolumeEntry[]): string[] {
  return [...entries]
    .sort((a, b) => Buffer.compare(a.id, b.id))
    .map((e) => `${hexOf(e.id)}:${hexOf(bytesOf(e.data))}`);
}

test("a crash at any step of a write leaves no volume or the whole one, and a rewrite the old or the new", async () => {
  const first = few(4, 30);
  const second = few(5, 40);
  const id = packedId();
  // Count the operations of a whole write of each.
  const counter = new CrashFs();
  await counter.mkdir("/r");
  const before = counter.ops;
  await writePackedVolume("/r", id, PV_BLOCK_SIZE_MS, first, { fs: counter });
  const steps = counter.ops - before;
  assert.ok(steps >= 6, `${steps} operations`);
  for (let k = 0; k <= steps + 1; k++) {
    const crashFs = new CrashFs();
    await crashFs.mkdir("/r");
    crashFs.failAfter = crashFs.ops + k;
    await writePackedVolume("/r", id, PV_BLOCK_SIZE_MS, first, { fs: crashFs }).catch(
      () => undefined,
    );
    crashFs.crash();
    const got = await contents(crashFs);
    if (got !== null) assert.deepEqual(got, expected(first), `crash after ${k} operations`);
    // The last step of a write is the directory's fsync: before it the rename may be lost.
    if (k > steps) assert.deepEqual(got, expected(first));

    // Rewrite the same volume over the one now there, crashing at every step again.
    await writePackedVolume("/r", id, PV_BLOCK_SIZE_MS, first, { fs: crashFs });
    crashFs.failAfter = crashFs.ops + k;
    await writePackedVolume("/r", id, PV_BLOCK_SIZE_MS, second, { fs: crashFs }).catch(
      () => undefined,
    );
    crashFs.crash();
    const after = await contents(crashFs);
    assert.ok(
      JSON.stringify(after) === JSON.stringify(expected(first)) ||
        JSON.stringify(after) === JSON.stringify(expected(second)),
      `rewrite crashed after ${k} operations left ${JSON.stringify(after)}`,
    );
    if (k > steps) assert.deepEqual(after, expected(second));
  }
});

test("a write that fails leaves no temp file behind", async () => {
  await withTempDir(async (root) => {
    let failed = false;
    const failing: FileSystem = {
      ...fs,
      rename: async () => {
        failed = true;
        throw Object.assign(new Error("disk full"), { code: "ENOSPC" });
      },
    };
    await mkdir(join(root, "data"), { recursive: true });
    await assert.rejects(
      writePackedVolume(root, packedId(), PV_BLOCK_SIZE_MS, few(6), { fs: failing }),
      (err: unknown) => (err as { osCode?: string }).osCode === "ENOSPC",
    );
    assert.ok(failed);
    assert.deepEqual(await listPackedVolumes(root, undefined, undefined, fs), []);
  });
});
