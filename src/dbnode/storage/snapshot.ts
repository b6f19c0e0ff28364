// Snapshots (M3's src/dbnode/storage/flush.go and cleanup.go; metadata in
// src/dbnode/persist/fs/snapshot_metadata_write.go): the unflushed buffer data
// of every namespace, written as snapshot fileset volumes numbered by the
// snapshot index, so that commit log files older than the snapshot can go. The
// metadata file written after the volumes is what makes a snapshot count.
import type { FileSystem } from "../../x/index.js";
import { eachBounded } from "../../x/index.js";
import { type VolumeEntry, writeVolume } from "../fs/index.js";
import type { Namespace } from "./namespace.js";
import { blockStream } from "./series-buffer.js";

export interface SnapshotWriteResult {
  volumes: number;
  series: number;
}

const utf8 = new TextEncoder();

/**
 * Writes snapshot volumes numbered `index` for every shard/block that holds
 * buffered data in the namespaces with snapshots enabled.
 */
export async function writeSnapshotVolumes(
  fs: FileSystem,
  root: string,
  namespaces: readonly Namespace[],
  index: number,
  takenAtMs: number,
  concurrency: number,
): Promise<SnapshotWriteResult> {
  const result: SnapshotWriteResult = { volumes: 0, series: 0 };
  const jobs: { ns: Namespace; shard: number; blockStartMs: number; refs: number[] }[] = [];
  for (const ns of namespaces) {
    if (!ns.options.snapshotEnabled) continue;
    for (let shard = 0; shard < ns.shards.length; shard++) {
      // Which series hold data of which block, in one pass over the shard.
      const byBlock = new Map<number, number[]>();
      const starts = new Set<number>();
      for (const ref of ns.liveRefs(shard)) {
        starts.clear();
        ns.series.buffers[ref]?.blockStarts(starts);
        for (const s of ns.flushing.get(ref) ?? []) starts.add(s.blockStartMs);
        for (const s of starts) {
          const refs = byBlock.get(s);
          if (refs === undefined) byBlock.set(s, [ref]);
          else refs.push(ref);
        }
      }
      for (const [blockStartMs, refs] of byBlock) jobs.push({ ns, shard, blockStartMs, refs });
    }
  }
  await eachBounded(jobs, concurrency, async ({ ns, shard, blockStartMs, refs }) => {
    const entries = function* (): Generator<VolumeEntry> {
      for (const ref of refs) {
        const stream = bufferedStream(ns, ref, blockStartMs);
        if (stream === null) continue;
        result.series++;
        yield {
          id: utf8.encode(ns.series.ids[ref] as string),
          encodedTags: ns.series.tagsOf(ref),
          stream,
        };
      }
    };
    await writeVolume(
      root,
      "snapshot",
      { namespace: ns.name, shard, blockStartMs, volume: index },
      ns.options.blockSizeMs,
      entries(),
      { snapshotTimeMs: takenAtMs, fs },
    );
    result.volumes++;
  });
  return result;
}

/** A series' buffered data of one block (taken-for-flush buckets included) as one stream. */
function bufferedStream(ns: Namespace, ref: number, blockStartMs: number): Uint8Array | null {
  const buckets = ns.bucketsOf(ref);
  if (buckets === null) return null;
  return blockStream(buckets, blockStartMs, null, `snapshot of block ${blockStartMs}`);
}
