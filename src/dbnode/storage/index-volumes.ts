// The reverse index on disk (as M3 flushes it: src/dbnode/storage/index.go,
// written by src/dbnode/persist/fs/index_write.go). Each flush run, after the
// data flushes, every index block whose time has passed (its end plus
// bufferPast) and that holds series not yet sealed is sealed into one segment
// and written as the block's next index volume; the older volumes of the block
// go once it is complete. Bootstrap loads the newest verified volume of each
// block in retention (bootstrap/index-volumes.ts) and notes here the volume
// numbers it found.
//
// Why the run's snapshot waits on these writes: a data volume may hold
// series that no index volume does yet. They are indexed in memory and in
// the commit log (or the previous snapshot); the snapshot that ends the run
// deletes those commit logs, so it is taken only after every due index
// block was written, and skipped when one failed.

import { SealedSegment } from "../../index/index.js";
import type { FileSystem, Logger } from "../../x/index.js";
import { removeIndexVolume, writeIndexVolume } from "../fs/index.js";
import type { Namespace } from "./namespace.js";

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

  /**
   * Records the volume numbers of a block that may be on disk, [oldest,
   * newest], as bootstrap found them (replacing any record of the block).
   */
  note(namespace: string, blockStartMs: number, oldest: number, newest: number): void {
    this.volumes.set(keyOf(namespace, blockStartMs), {
      namespace,
      start: blockStartMs,
      oldest,
      newest,
    });
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
          { format: ns.options.fileFormat },
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
