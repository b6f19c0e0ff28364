// Loading the reverse index from its volumes on disk (M3's
// src/dbnode/persist/fs/index_read.go): the newest verified volume of every
// index block in retention is loaded, so the series of that block need not be
// read again from the data volumes' index files. The storage engine writes
// these volumes at flush.
import { SealedSegment, SegmentFormatError } from "../../index/index.js";
import {
  IndexVolumeCorruptError,
  indexVolumeDir,
  listIndexVolumes,
  readIndexVolume,
  removeIncompleteIndexVolumes,
  removeIndexVolume,
} from "../fs/index.js";
import { type BootstrapContext, reportCorruptIndexVolume } from "./bootstrapper.js";

export interface IndexVolumesLoaded {
  /** Index block starts loaded from disk, by namespace. */
  loaded: Map<string, Set<number>>;
  /** Documents (series in a block) loaded. */
  docs: number;
  /** Complete volumes deleted: superseded, past retention, or of namespaces without an index. */
  removed: number;
}

function keyOf(namespace: string, blockStartMs: number): string {
  return `${namespace}\u0000${blockStartMs}`;
}

/** Loads the newest verified volume of every index block in retention; removes what is not needed. */
export async function loadIndexVolumes(ctx: BootstrapContext): Promise<IndexVolumesLoaded> {
  const { fs, root, target } = ctx;
  await removeIncompleteIndexVolumes(root, fs);
  const result: IndexVolumesLoaded = { loaded: new Map(), docs: 0, removed: 0 };
  const groups = new Map<string, { namespace: string; start: number; volumes: number[] }>();
  const listed = (await listIndexVolumes(root, undefined, fs)).filter((v) => v.complete);
  // A volume whose directory sync failed is read now but may not survive a
  // crash; the series it holds are not indexed again, so make it durable.
  for (const ns of new Set(listed.map((v) => v.namespace))) {
    await fs.syncDir(indexVolumeDir(root, ns));
  }
  for (const v of listed) {
    const key = keyOf(v.namespace, v.blockStartMs);
    const g = groups.get(key);
    if (g === undefined) {
      groups.set(key, { namespace: v.namespace, start: v.blockStartMs, volumes: [v.volume] });
    } else g.volumes.push(v.volume);
  }
  for (const g of groups.values()) {
    g.volumes.sort((a, b) => b - a);
    const ns = target.namespace(g.namespace);
    const index = ns?.index ?? null;
    const remove = async (volumes: number[]) => {
      for (const volume of volumes) {
        await removeIndexVolume(
          root,
          { namespace: g.namespace, blockStartMs: g.start, volume },
          fs,
        );
        result.removed++;
      }
    };
    if (
      ns === undefined ||
      index === null ||
      g.start + index.blockSizeMs <= target.nowMs - ns.options.retentionPeriodMs
    ) {
      await remove(g.volumes);
      continue;
    }
    const newest = g.volumes[0];
    target.noteIndexVolumes(g.namespace, g.start, newest, newest);
    try {
      const id = { namespace: g.namespace, blockStartMs: g.start, volume: newest };
      const { info, segment } = await readIndexVolume(root, id, fs);
      if (info.blockSizeMs !== index.blockSizeMs) {
        // The namespace's index block size changed: the volume's series are
        // indexed again from the data volumes instead.
        await remove(g.volumes);
        continue;
      }
      const sealed = SealedSegment.decode(segment);
      index.load(g.start, sealed);
      result.docs += sealed.size;
      let loaded = result.loaded.get(g.namespace);
      if (loaded === undefined) {
        loaded = new Set();
        result.loaded.set(g.namespace, loaded);
      }
      loaded.add(g.start);
      await remove(g.volumes.slice(1));
    } catch (err) {
      if (!(err instanceof IndexVolumeCorruptError || err instanceof SegmentFormatError)) throw err;
      // Kept on disk for `m3ts verify` (the older ones too); the block's
      // series are indexed again from the data volumes, and its next seal
      // supersedes them all.
      target.noteIndexVolumes(g.namespace, g.start, g.volumes[g.volumes.length - 1], newest);
      reportCorruptIndexVolume(ctx, err);
    }
  }
  return result;
}
