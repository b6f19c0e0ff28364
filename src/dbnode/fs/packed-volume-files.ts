// Finding m3ts-format volume files in the namespace directories, removing one,
// and clearing the temp files a crash left. A file under its final name is
// complete: the writer renames it there only once it is whole and synced.
import { join } from "node:path";
import type { FileSystem } from "../../x/index.js";
import { unlinkIfPresent } from "./files.js";
import {
  checkPackedVolumeId,
  PACKED_TEMP_SUFFIX,
  type PackedVolumeId,
  packedNamespaceDir,
  packedVolumePath,
  parsePackedVolumeFileName,
} from "./packed-volume-format.js";
import { syncDir } from "./writer.js";

/** A volume file found on disk: `complete` unless it is a temp file. */
export type ListedPackedVolume = PackedVolumeId & { complete: boolean; path: string };

async function listDir(fs: FileSystem, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
}

/**
 * m3ts-format volume files under `data/` for a namespace (or every one) and a
 * shard (or every one), sorted by namespace, shard, startMs, volume (then a
 * complete file before a temp file of the same name).
 */
export async function listPackedVolumes(
  root: string,
  namespace: string | undefined,
  shard: number | undefined,
  fs: FileSystem,
): Promise<ListedPackedVolume[]> {
  const namespaces = namespace === undefined ? await listDir(fs, join(root, "data")) : [namespace];
  const out: ListedPackedVolume[] = [];
  for (const ns of namespaces.sort()) {
    const dir = packedNamespaceDir(root, ns);
    for (const name of await listDir(fs, dir)) {
      const p = parsePackedVolumeFileName(name);
      if (p === null || (shard !== undefined && p.shard !== shard)) continue;
      out.push({
        namespace: ns,
        shard: p.shard,
        startMs: p.startMs,
        endMs: p.endMs,
        volume: p.volume,
        complete: !p.temp,
        path: join(dir, name),
      });
    }
  }
  return out.sort(
    (a, b) =>
      (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0) ||
      a.shard - b.shard ||
      a.startMs - b.startMs ||
      a.volume - b.volume ||
      a.endMs - b.endMs ||
      Number(b.complete) - Number(a.complete),
  );
}

/**
 * Deletes a volume's file (and its temp file, if any) and fsyncs the
 * directory, so the removal survives a crash: a compaction swap relies on
 * the old volumes staying gone once this resolves.
 */
export async function removePackedVolume(
  root: string,
  id: PackedVolumeId,
  fs: FileSystem,
): Promise<void> {
  checkPackedVolumeId(id);
  const path = packedVolumePath(root, id);
  const a = await unlinkIfPresent(fs, path);
  const b = await unlinkIfPresent(fs, path + PACKED_TEMP_SUFFIX);
  if (a || b) await syncDir(fs, packedNamespaceDir(root, id.namespace));
}

/** Deletes every m3ts-format temp file under `data/` (a crashed write's); returns their paths. */
export async function removePackedTempFiles(root: string, fs: FileSystem): Promise<string[]> {
  const removed: string[] = [];
  for (const v of await listPackedVolumes(root, undefined, undefined, fs)) {
    if (!v.complete && (await unlinkIfPresent(fs, v.path))) removed.push(v.path);
  }
  return removed;
}
