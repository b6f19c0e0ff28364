// The reverse index on disk (M3-NOTES §7.1). Each flush run, after the data
// flushes, every index block whose time has passed (its end plus bufferPast)
// and that holds series not yet sealed is sealed into one segment and
// written as the block's next index volume; the older volumes of the block
// go once it is complete. Bootstrap loads the newest verified volume of each
// block in retention, so the series of that block need not be read again
// from the data volumes' index files.
//
// Why the run's snapshot waits on these writes: a data volume may hold
// series that no index volume does yet. They are indexed in memory and in
// the commit log (or the previous snapshot); the snapshot that ends the run
// deletes those commit logs, so it is taken only after every due index
// block was written, and skipped when one failed.

import { SealedSegment, SegmentFormatError } from "../../index/index.js";
import type { FileSystem } from "../../x/file-system.js";
import type { Logger } from "../../x/index.js";
import {
  IndexVolumeCorruptError,
  indexVolumeDir,
  listIndexVolumes,
  readIndexVolume,
  removeIncompleteIndexVolumes,
  removeIndexVolume,
  writeIndexVolume,
} from "../fs/index.js";
import type { Namespace } from "./namespace.js";

/** Called for an index volume that fails verification: it is not loaded. */
export type CorruptIndexHandler = (err: IndexVolumeCorruptError | SegmentFormatError) => void;

export interface IndexBootstrapResult {
  /** Index block starts loaded from disk, by namespace. */
  loaded: Map<string, Set<number>>;
  /** Documents (series in a block) loaded. */
  docs: number;
  /** Complete volumes deleted: superseded, past retention, or of namespaces without an index. */
  removed: number;
}

export interface IndexFlushResult {
  written: number;
  failed: number;
}

/** Lets other work run between slices of a large seal. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface BlockVolumes {
  namespace: string;
  start: number;
  oldest: number;
  newest: number;
}

function keyOf(namespace: string, blockStartMs: number): string {
  return `${namespace}\u0000${blockStartMs}`;
}

export class IndexVolumes {
  private readonly root: string;
  private readonly fs: FileSystem;
  /** Per namespace and block: the volume numbers that may be on disk, [oldest, newest]. */
  private readonly volumes = new Map<string, BlockVolumes>();

  constructor(root: string, fs: FileSystem) {
    this.root = root;
    this.fs = fs;
  }

  /** Loads the newest verified volume of every index block in retention; removes what is not needed. */
  async bootstrap(
    namespaces: ReadonlyMap<string, Namespace>,
    nowMs: number,
    onCorrupt: CorruptIndexHandler,
  ): Promise<IndexBootstrapResult> {
    await removeIncompleteIndexVolumes(this.root, this.fs);
    const result: IndexBootstrapResult = { loaded: new Map(), docs: 0, removed: 0 };
    const groups = new Map<string, { namespace: string; start: number; volumes: number[] }>();
    const listed = (await listIndexVolumes(this.root, undefined, this.fs)).filter(
      (v) => v.complete,
    );
    // A volume whose directory sync failed is read now but may not survive a
    // crash; the series it holds are not indexed again, so make it durable.
    for (const ns of new Set(listed.map((v) => v.namespace))) {
      await this.fs.syncDir(indexVolumeDir(this.root, ns));
    }
    for (const v of listed) {
      const key = keyOf(v.namespace, v.blockStartMs);
      const g = groups.get(key);
      if (g === undefined) {
        groups.set(key, { namespace: v.namespace, start: v.blockStartMs, volumes: [v.volume] });
      } else g.volumes.push(v.volume);
    }
    for (const [key, g] of groups) {
      g.volumes.sort((a, b) => b - a);
      const ns = namespaces.get(g.namespace);
      const index = ns?.index ?? null;
      const remove = async (volumes: number[]) => {
        for (const volume of volumes) {
          await removeIndexVolume(
            this.root,
            {
              namespace: g.namespace,
              blockStartMs: g.start,
              volume,
            },
            this.fs,
          );
          result.removed++;
        }
      };
      if (
        ns === undefined ||
        index === null ||
        g.start + index.blockSizeMs <= ns.retentionCutoff(nowMs)
      ) {
        await remove(g.volumes);
        continue;
      }
      const newest = g.volumes[0];
      this.volumes.set(key, { namespace: g.namespace, start: g.start, oldest: newest, newest });
      try {
        const id = { namespace: g.namespace, blockStartMs: g.start, volume: g.volumes[0] };
        const { info, segment } = await readIndexVolume(this.root, id, this.fs);
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
        if (!(err instanceof IndexVolumeCorruptError || err instanceof SegmentFormatError))
          throw err;
        // Kept on disk for `m3ts verify` (the older ones too); the block's
        // series are indexed again from the data volumes, and its next seal
        // supersedes them all.
        (this.volumes.get(key) as BlockVolumes).oldest = g.volumes[g.volumes.length - 1];
        onCorrupt(err);
      }
    }
    return result;
  }

  /** Seals and writes every index block of `ns` that is due; returns how many were written and failed. */
  async flush(
    ns: Namespace,
    nowMs: number,
    logger: Logger,
    live: () => boolean,
  ): Promise<IndexFlushResult> {
    const index = ns.index;
    const result: IndexFlushResult = { written: 0, failed: 0 };
    if (index === null) return result;
    const cutoff = ns.retentionCutoff(nowMs);
    for (const start of index.unsealedBlocksBefore(nowMs - ns.options.bufferPastMs)) {
      if (!live()) break;
      if (start + index.blockSizeMs <= cutoff) continue;
      const key = keyOf(ns.name, start);
      let b = this.volumes.get(key);
      if (b === undefined) {
        b = { namespace: ns.name, start, oldest: 0, newest: -1 };
        this.volumes.set(key, b);
      }
      // Taken before writing: a failed write's leftovers never share a number with a later volume.
      const volume = ++b.newest;
      const job = index.beginSeal(start);
      logger.debug({ namespace: ns.name, blockStartMs: start, volume }, "index started");
      try {
        const sealed = await SealedSegment.seal(job.segments, yieldToLoop);
        const segment = sealed.bytes;
        const docs = sealed.size;
        await writeIndexVolume(
          this.root,
          {
            namespace: ns.name,
            blockStartMs: start,
            blockSizeMs: index.blockSizeMs,
            volume,
            docs,
            segmentBytes: segment.length,
          },
          segment,
          this.fs,
        );
        index.finishSeal(job, sealed);
        for (let older = b.oldest; older < volume; older++) {
          await removeIndexVolume(
            this.root,
            {
              namespace: ns.name,
              blockStartMs: start,
              volume: older,
            },
            this.fs,
          );
        }
        b.oldest = volume;
        result.written++;
        logger.debug({ namespace: ns.name, blockStartMs: start, volume }, "index done");
      } catch (err) {
        logger.debug({ namespace: ns.name, blockStartMs: start, volume }, "index done");
        result.failed++;
        logger.error(
          { namespace: ns.name, blockStartMs: start, volume, err: String(err) },
          "index volume write failed; the block's series stay in memory and are written on the next run",
        );
      }
    }
    return result;
  }

  /** Removes the volumes of `ns`'s index blocks past retention; returns how many blocks. */
  async expire(ns: Namespace, nowMs: number): Promise<number> {
    const index = ns.index;
    if (index === null) return 0;
    const cutoff = ns.retentionCutoff(nowMs);
    let n = 0;
    for (const [key, b] of this.volumes) {
      if (b.namespace !== ns.name || b.start + index.blockSizeMs > cutoff) continue;
      for (let volume = b.oldest; volume <= b.newest; volume++) {
        await removeIndexVolume(
          this.root,
          {
            namespace: b.namespace,
            blockStartMs: b.start,
            volume,
          },
          this.fs,
        );
      }
      this.volumes.delete(key);
      n++;
    }
    return n;
  }

  /** Forgets a dropped namespace's volumes (the caller deletes its directory). */
  forgetNamespace(name: string): void {
    for (const [key, b] of this.volumes) if (b.namespace === name) this.volumes.delete(key);
  }
}
