// One namespace's data in memory: its options, its shards and the series in
// them. Series live in one table per namespace (series-table.ts), and a
// series' ref is its ordinal in that table, so a client that keeps refs
// writes known series without hashing or parsing their tags again.
import { TimeIndex } from "../../index/index.js";
import type { NamespaceOptions } from "../namespace/index.js";
import { RemovedIds } from "./removed-ids.js";
import { type Bucket, WriteType } from "./series-buffer.js";
import { FRESH, SeriesTable } from "./series-table.js";

/** Where a datapoint may be written now, per M3's buffer rules (its src/dbnode/storage/series/buffer.go). */
export interface WriteWindow {
  /** Warm writes land in [warmStartMs, warmEndMs). */
  warmStartMs: number;
  warmEndMs: number;
  /** Cold writes (if enabled) land in [retentionStartMs, futureEndMs) outside the warm range. */
  retentionStartMs: number;
  futureEndMs: number;
}

/** A shard of a namespace: the series whose ID hashes to it. */
export interface Shard {
  readonly id: number;
  /** Refs of the shard's series, in creation order. */
  refs: number[];
}

export class Namespace {
  readonly name: string;
  options: NamespaceOptions;
  readonly shards: Shard[];

  readonly series: SeriesTable;
  /**
   * Buckets a flush in progress took from their series, by ref: reads still
   * see them until the volume holding them is served.
   */
  readonly flushing = new Map<number, Bucket[]>();
  /** The reverse index, when the namespace's index is enabled. */
  readonly index: TimeIndex | null;
  /**
   * IDs of series removed from the table, with when, oldest first: an index
   * block may still hold them, so a series created again with one of these
   * IDs is not fresh to the index.
   */
  private readonly removedIds: RemovedIds | null;
  /** Per shard: 1 when its ref list may name removed series. */
  private readonly shardStale: Uint8Array;

  /** First commit log file that may hold this namespace's records (see RegistryEntry). */
  readonly commitLogFrom: number;

  constructor(name: string, options: NamespaceOptions, numShards: number, commitLogFrom = 0) {
    this.name = name;
    this.commitLogFrom = commitLogFrom;
    this.options = options;
    this.index = options.index.enabled ? new TimeIndex(options.index.blockSizeMs) : null;
    this.shards = Array.from({ length: numShards }, (_, id) => ({ id, refs: [] }));
    this.shardStale = new Uint8Array(numShards);
    this.removedIds = this.index === null ? null : new RemovedIds(this.index.blockSizeMs);
    this.series = new SeriesTable(name);
  }

  /**
   * Every bucket of a series that reads and snapshots must see: its buffer's
   * and those a flush has taken but not yet served from a volume; null for
   * a removed series.
   */
  bucketsOf(ref: number): Bucket[] | null {
    const buffer = this.series.buffers[ref];
    if (buffer === null) return null;
    const flushing = this.flushing.get(ref);
    return flushing === undefined ? buffer.buckets : flushing.concat(buffer.buckets);
  }

  /** Number of live series. */
  get seriesCount(): number {
    return this.series.size;
  }

  /**
   * Adds a series and returns its ref. `live`: created by a write (not a
   * bootstrap), so that it is fresh to the index unless a series with its
   * ID was removed within retention.
   */
  addSeries(
    id: string,
    seriesIndex: number,
    shard: number,
    encodedTags: Uint8Array,
    live = false,
  ): number {
    // A removed ID stays in its set until the set is pruned: a series created,
    // removed and created again is still not fresh while any block may hold it.
    const fresh = live && this.removedIds !== null && !this.removedIds.has(id);
    const ref = this.series.add(id, seriesIndex, shard, encodedTags, fresh);
    this.shards[shard].refs.push(ref);
    return ref;
  }

  /** The write window at `nowMs`. */
  window(nowMs: number): WriteWindow {
    const o = this.options;
    return {
      // M3 truncates both warm limits to whole seconds.
      warmStartMs: Math.floor((nowMs - o.bufferPastMs) / 1000) * 1000,
      warmEndMs: Math.floor((nowMs + o.bufferFutureMs) / 1000) * 1000,
      retentionStartMs: nowMs - o.retentionPeriodMs,
      futureEndMs: nowMs + Math.max(o.bufferFutureMs, o.futureRetentionPeriodMs),
    };
  }

  /**
   * Block starts below this are ready to flush at `nowMs`: a block is flushed
   * once its end plus bufferPast has passed (M3's flushable range).
   */
  flushableBefore(nowMs: number): number {
    const o = this.options;
    return nowMs - o.bufferPastMs - o.blockSizeMs + 1;
  }

  /** Blocks ending at or before this are past retention at `nowMs`. */
  retentionCutoff(nowMs: number): number {
    return nowMs - this.options.retentionPeriodMs;
  }

  /** Refs of a shard's live series; drops removed ones from the shard's list on the way. */
  liveRefs(shard: number): number[] {
    const s = this.shards[shard];
    // A copy either way: callers walk it across awaits while series are added.
    const live = s.refs.filter((ref) => this.series.buffers[ref] !== null);
    if (live.length !== s.refs.length) s.refs = live;
    this.shardStale[shard] = 0;
    return live;
  }

  /**
   * Gives the refs and tag bytes of removed series back to the table: drops
   * them from the shard lists first, so a ref reused by a new series is
   * listed only under the new series' shard. Call with no flush or snapshot
   * walking the shard lists (the tick calls it before its flush run).
   */
  reclaim(): void {
    for (let shard = 0; shard < this.shards.length; shard++) {
      if (this.shardStale[shard] === 1) this.liveRefs(shard);
    }
    this.series.reclaim();
  }

  /** Bytes of the removed-ID sets. */
  get removedIdBytes(): number {
    return this.removedIds?.bytes ?? 0;
  }

  /**
   * Indexes a series for the index block of `timeMs` the first time it is
   * written there; a repeat costs one comparison.
   */
  indexWrite(ref: number, timeMs: number): void {
    const index = this.index;
    if (index === null) return;
    const start = index.blockStart(timeMs);
    const table = this.series;
    const last = table.indexedBlock(ref);
    if (last === start) return;
    const id = table.ids[ref];
    if (id === null) return;
    index.insertEncoded(id, table.tagsOf(ref), timeMs, last === FRESH);
    table.setIndexedBlock(ref, start);
  }

  /** Removes a series whose buffer has emptied, remembering its ID for the index. */
  removeSeries(ref: number, nowMs: number): void {
    const id = this.series.ids[ref];
    if (id === null) return;
    if (this.flushing.has(ref))
      throw new Error(`series ${id} of ${this.name} removed while a flush holds its buckets`);
    this.removedIds?.add(id, nowMs);
    this.shardStale[this.series.shardOf(ref)] = 1;
    this.series.remove(ref);
  }

  /** Forgets removed IDs that no index block in retention can hold any more. */
  pruneRemoved(nowMs: number): void {
    const index = this.index;
    if (index === null) return;
    const o = this.options;
    const horizon = nowMs - o.retentionPeriodMs - o.bufferFutureMs - index.blockSizeMs;
    this.removedIds?.pruneBefore(horizon);
  }

  /** Start of the block holding `timeMs`. */
  blockStart(timeMs: number): number {
    const size = this.options.blockSizeMs;
    return Math.floor(timeMs / size) * size;
  }
}

export { WriteType };
