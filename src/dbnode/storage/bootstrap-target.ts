// The database as the target bootstrap loads into (bootstrap/target.ts):
// restored series go into the namespaces' tables, restored datapoints into
// their buffers, served data volumes into the disk blocks and the cache, and
// the index volume numbers found into the index volumes' records.

import type { SeriesData } from "../../codec/index.js";
import type { TimeIndex } from "../../index/index.js";
import { M3tsError, shardOf } from "../../x/index.js";
import type { BootstrapNamespace, BootstrapTarget } from "../bootstrap/index.js";
import type { DataVolume, DataVolumeId, FileHandlePool } from "../fs/index.js";
import type { NamespaceOptions } from "../namespace/index.js";
import type { BlockCache } from "./block-cache.js";
import type { DiskBlocks } from "./disk-blocks.js";
import type { IndexVolumes } from "./index-volumes.js";
import type { Namespace } from "./namespace.js";
import type { Sequences } from "./sequences.js";
import { WriteType } from "./series-buffer.js";

/** How restored series are numbered and sharded. */
export interface RestoredSeries {
  readonly numShards: number;
  readonly shardSeed: number;
  readonly sequences: Sequences;
}

/** One namespace being restored, at the bootstrap's time. */
class RestoringNamespace implements BootstrapNamespace {
  private readonly ns: Namespace;
  private readonly series: RestoredSeries;
  // The warm range at bootstrap time: namespace options cannot change until bootstrap ends.
  private readonly warmStartMs: number;
  private readonly warmEndMs: number;

  constructor(ns: Namespace, nowMs: number, series: RestoredSeries) {
    this.ns = ns;
    this.series = series;
    const w = ns.window(nowMs);
    this.warmStartMs = w.warmStartMs;
    this.warmEndMs = w.warmEndMs;
  }

  get name(): string {
    return this.ns.name;
  }

  get options(): NamespaceOptions {
    return this.ns.options;
  }

  get commitLogFrom(): number {
    return this.ns.commitLogFrom;
  }

  get index(): TimeIndex | null {
    return this.ns.index;
  }

  seriesRef(id: string, idBytes: Uint8Array, encodedTags: Uint8Array): number {
    const ns = this.ns;
    const ref = ns.series.byId.get(id);
    if (ref !== undefined) return ref;
    const { numShards, shardSeed, sequences } = this.series;
    return ns.addSeries(
      id,
      sequences.nextSeriesIndex(),
      shardOf(idBytes, numShards, shardSeed),
      encodedTags,
    );
  }

  restore(
    ref: number,
    timeMs: number,
    nsInMs: number,
    value: number,
    unit: number,
    annotation: Uint8Array | null,
  ): boolean {
    const ns = this.ns;
    const type =
      timeMs >= this.warmStartMs && timeMs < this.warmEndMs ? WriteType.Warm : WriteType.Cold;
    try {
      ns.series.buffers[ref]?.write(
        ns.blockStart(timeMs),
        type,
        timeMs,
        nsInMs,
        value,
        unit,
        annotation,
        this.series.sequences,
      );
      // Series seen only in the commit log or a snapshot are indexed again here.
      ns.indexWrite(ref, timeMs);
      return true;
    } catch (e) {
      if (!(e instanceof M3tsError)) throw e;
      return false;
    }
  }
}

export class RestoreTarget implements BootstrapTarget {
  readonly nowMs: number;
  private readonly byName = new Map<string, RestoringNamespace>();
  private readonly disk: DiskBlocks;
  private readonly indexVolumes: IndexVolumes;
  private readonly cache: BlockCache;

  /** `namespaces` are every namespace there is: none is created or dropped until bootstrap ends. */
  constructor(
    namespaces: Iterable<Namespace>,
    nowMs: number,
    series: RestoredSeries,
    disk: DiskBlocks,
    indexVolumes: IndexVolumes,
    cache: BlockCache,
  ) {
    this.nowMs = nowMs;
    for (const ns of namespaces)
      this.byName.set(ns.name, new RestoringNamespace(ns, nowMs, series));
    this.disk = disk;
    this.indexVolumes = indexVolumes;
    this.cache = cache;
  }

  namespace(name: string): BootstrapNamespace | undefined {
    return this.byName.get(name);
  }

  namespaces(): Iterable<BootstrapNamespace> {
    return this.byName.values();
  }

  get handles(): FileHandlePool {
    return this.disk.handles;
  }

  noteDataVolume(id: DataVolumeId): void {
    this.disk.noteVolume(id);
  }

  serveDataVolume(reader: DataVolume): string {
    return this.disk.install(reader).key;
  }

  get cachesEverything(): boolean {
    return this.cache.cachesEverything;
  }

  cacheSeries(volumeKey: string, id: string, stream: SeriesData): void {
    this.cache.put(volumeKey, id, stream, this.nowMs);
  }

  noteIndexVolumes(namespace: string, blockStartMs: number, oldest: number, newest: number): void {
    this.indexVolumes.note(namespace, blockStartMs, oldest, newest);
  }
}
