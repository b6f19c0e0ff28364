// Finding volumes on disk, telling complete ones from the leftovers of a
// crash, and removing them (checkpoint first). Names and the completeness
// rule follow M3's src/dbnode/persist/fs/files.go.
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import type { FileSystem } from "../../x/index.js";
import { VolumeWriteError } from "./errors.js";
import {
  CHECKPOINT_FILE_SIZE,
  DIGEST_FILE_SIZE,
  FILE_TYPES,
  fileName,
  getU32,
  kindDir,
  parseFileName,
  TEMP_SUFFIX,
  type VolumeKind,
} from "./format.js";
import { listPackedVolumes } from "./packed-volume-files.js";
import { openPackedVolume } from "./packed-volume-reader.js";
import { openVolume } from "./reader.js";
import { checkVolumeId, shardDir, syncDir, type VolumeId, volumeFilePath } from "./writer.js";

/** A volume found on disk: `complete` when its checkpoint is valid; `paths` are all its files. */
export type ListedVolume = VolumeId & { complete: boolean; paths: string[] };

/** A directory's entries; a missing directory (or a file in its place) has none. */
export async function listDir(fs: FileSystem, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
}

/** A whole file, or null when it does not exist. */
export async function readOrNull(fs: FileSystem, path: string): Promise<Uint8Array | null> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return null;
    throw err;
  }
}

/** A checkpoint is valid when it is 4 bytes and equals the crc32 of a 20-byte digest file. */
async function hasValidCheckpoint(
  fs: FileSystem,
  dir: string,
  blockStartMs: number,
  volume: number,
) {
  const checkpoint = await readOrNull(fs, join(dir, fileName(blockStartMs, volume, "checkpoint")));
  if (checkpoint === null || checkpoint.length !== CHECKPOINT_FILE_SIZE) return false;
  const digest = await readOrNull(fs, join(dir, fileName(blockStartMs, volume, "digest")));
  if (digest === null || digest.length !== DIGEST_FILE_SIZE) return false;
  return crc32(digest) === getU32(checkpoint, 0);
}

/**
 * Volumes on disk for a namespace/shard (or every one), sorted by namespace,
 * shard, block start and volume. The highest complete volume of a block is
 * the one to read.
 */
export async function listVolumes(
  root: string,
  kind: VolumeKind,
  namespace: string | undefined,
  shard: number | undefined,
  fs: FileSystem,
): Promise<ListedVolume[]> {
  const base = join(root, kindDir(kind));
  const namespaces = namespace === undefined ? await listDir(fs, base) : [namespace];
  const out: ListedVolume[] = [];
  for (const ns of namespaces.sort()) {
    const shardNames = shard === undefined ? await listDir(fs, join(base, ns)) : [String(shard)];
    const shards = shardNames
      .filter((s) => /^\d+$/.test(s))
      .map(Number)
      .sort((a, b) => a - b);
    for (const sh of shards) {
      const dir = shardDir(root, kind, ns, sh);
      const byVolume = new Map<string, ListedVolume>();
      for (const name of await listDir(fs, dir)) {
        const parsed = parseFileName(name);
        if (parsed === null) continue;
        const key = `${parsed.blockStartMs}/${parsed.volume}`;
        let v = byVolume.get(key);
        if (v === undefined) {
          v = {
            namespace: ns,
            shard: sh,
            blockStartMs: parsed.blockStartMs,
            volume: parsed.volume,
            complete: false,
            paths: [],
          };
          byVolume.set(key, v);
        }
        v.paths.push(join(dir, name));
      }
      const vols = [...byVolume.values()].sort(
        (a, b) => a.blockStartMs - b.blockStartMs || a.volume - b.volume,
      );
      for (const v of vols) {
        v.paths.sort();
        v.complete = await hasValidCheckpoint(fs, dir, v.blockStartMs, v.volume);
        out.push(v);
      }
    }
  }
  return out;
}

/** Deletes a file; false when it was not there. */
export async function unlinkIfPresent(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return false;
    throw new VolumeWriteError(path, "unlink", err);
  }
}

/** Deletes every file of incomplete volumes and temp files left by a crash; returns what it removed. */
export async function removeIncompleteVolumes(
  root: string,
  kind: VolumeKind,
  fs: FileSystem,
): Promise<string[]> {
  const removed: string[] = [];
  for (const v of await listVolumes(root, kind, undefined, undefined, fs)) {
    // A complete volume only loses leftover temp files; an incomplete one
    // loses its checkpoint first (if any, e.g. an invalid one), then the rest.
    const doomed = v.complete
      ? v.paths.filter((p) => p.endsWith(TEMP_SUFFIX))
      : [...v.paths].sort((a, b) => checkpointFirst(a) - checkpointFirst(b));
    for (const p of doomed) {
      if (await unlinkIfPresent(fs, p)) removed.push(p);
    }
  }
  return removed;
}

function checkpointFirst(path: string): number {
  return path.endsWith("-checkpoint.db") ? 0 : 1;
}

/** Deletes a volume's files, checkpoint first so it stops counting as complete before the rest goes. */
export async function removeVolume(
  root: string,
  kind: VolumeKind,
  id: VolumeId,
  fs: FileSystem,
): Promise<void> {
  checkVolumeId(id);
  const order = ["checkpoint", ...FILE_TYPES.filter((t) => t !== "checkpoint")] as const;
  for (const type of order) {
    const path = volumeFilePath(root, kind, id, type);
    await unlinkIfPresent(fs, path);
    await unlinkIfPresent(fs, path + TEMP_SUFFIX);
  }
}

/**
 * fsyncs the directories of removed volumes, so the removals survive a
 * crash. Needed where a removed volume coming back would be read as current:
 * snapshot volumes, whose numbers a later snapshot may take again.
 */
export async function syncVolumeDirs(
  root: string,
  kind: VolumeKind,
  ids: readonly VolumeId[],
  fs: FileSystem,
): Promise<void> {
  const dirs = new Set(ids.map((id) => dirname(volumeFilePath(root, kind, id, "checkpoint"))));
  for (const dir of dirs) await syncDir(fs, dir);
}

/** One volume's verification result. */
export interface VerifyResult {
  /**
   * For an m3ts-format volume, `format` is "m3ts", `blockStartMs` is its
   * start and `endMs` its end; M3-format volumes carry neither field.
   */
  volume: VolumeId & { kind: string; format?: "m3ts"; endMs?: number };
  ok: boolean;
  error?: string;
}

/**
 * Verifies every complete volume under root, data and snapshots: every
 * file's digest at open, then every index entry and stream checksum; and
 * every m3ts-format volume file under data: its header, footer, directory
 * and metadata at open, then every frame and metadata chunk.
 */
export async function verifyDataDir(root: string, fs: FileSystem): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const kind of ["data", "snapshot"] as const) {
    for (const v of await listVolumes(root, kind, undefined, undefined, fs)) {
      if (!v.complete) continue;
      const id: VolumeId = {
        namespace: v.namespace,
        shard: v.shard,
        blockStartMs: v.blockStartMs,
        volume: v.volume,
      };
      const volume = { ...id, kind };
      try {
        const reader = await openVolume(root, kind, id, fs);
        try {
          for await (const _ of reader.entries()) {
            // entries() checks each entry's and each stream's crc32 as it goes.
          }
        } finally {
          await reader.close();
        }
        results.push({ volume, ok: true });
      } catch (err) {
        results.push({
          volume,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
  for (const v of await listPackedVolumes(root, undefined, undefined, fs)) {
    if (!v.complete) continue;
    const id = {
      namespace: v.namespace,
      shard: v.shard,
      startMs: v.startMs,
      endMs: v.endMs,
      volume: v.volume,
    };
    const volume = {
      namespace: v.namespace,
      shard: v.shard,
      blockStartMs: v.startMs,
      volume: v.volume,
      kind: "data",
      format: "m3ts" as const,
      endMs: v.endMs,
    };
    try {
      const reader = await openPackedVolume(root, id, fs);
      try {
        for await (const _ of reader.entries()) {
          // entries() checks every frame, every metadata chunk and the frames section's crc32.
        }
      } finally {
        await reader.close();
      }
      results.push({ volume, ok: true });
    } catch (err) {
      results.push({ volume, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}
