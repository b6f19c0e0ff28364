// The flushed half of the node: for every namespace and shard, the data
// volumes reads are served from. A volume covers a span of whole blocks: one
// block, or several once compaction merged them. Spans are aligned windows
// (compaction.ts), so two served volumes of a shard either cover disjoint
// spans or one's lies inside the other's; where they overlap the higher
// volume number holds the later writes. A volume replaced by a flush or a
// compaction, or past retention, is retired: it leaves the cache at once and
// its files go when the last read that chose it has finished.
import {
  type DataVolume,
  type DataVolumeId,
  type FileHandlePool,
  removeDataVolume,
} from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";

/** A served volume of one namespace/shard and span. */
export interface DiskBlock {
  readonly id: DataVolumeId;
  /** Unique per volume: names its entries in the block cache. */
  readonly key: string;
  readonly reader: DataVolume;
  /** Reads (and flushes or compactions) that chose this volume and have not finished. */
  reads: number;
  retired: boolean;
}

/** Cache key of a volume. */
export function volumeKey(id: DataVolumeId): string {
  return `${id.namespace}/${id.shard}/${id.startMs}/${id.volume}`;
}

/** A volume number known on disk for a span, served or not. */
interface KnownVolume {
  startMs: number;
  endMs: number;
  volume: number;
}

function overlaps(a: { startMs: number; endMs: number }, startMs: number, endMs: number): boolean {
  return a.startMs < endMs && a.endMs > startMs;
}

/** The served volumes of every namespace, with retirement and deferred removal. */
export class DiskBlocks {
  private readonly root: string;
  readonly handles: FileHandlePool;
  private readonly cache: BlockCache;
  /** Per namespace and shard: served volumes sorted by start, then volume. */
  private readonly byShard = new Map<string, Map<number, DiskBlock[]>>();
  /** Per namespace and shard: every volume number noted on disk, so none is reused for an overlapping span. */
  private readonly known = new Map<string, Map<number, KnownVolume[]>>();
  /** Removals in progress, awaited by drain(). */
  private readonly removals = new Set<Promise<void>>();
  private readonly onRemoveError: (id: DataVolumeId, err: unknown) => void;

  constructor(
    root: string,
    handles: FileHandlePool,
    cache: BlockCache,
    onRemoveError: (id: DataVolumeId, err: unknown) => void,
  ) {
    this.root = root;
    this.handles = handles;
    this.cache = cache;
    this.onRemoveError = onRemoveError;
  }

  private shardList(namespace: string, shard: number): DiskBlock[] {
    return this.byShard.get(namespace)?.get(shard) ?? [];
  }

  /**
   * The served volume a flush of [startMs, endMs) merges into: of those
   * overlapping it, the one with the highest volume number (it covers the
   * span when spans nest), or undefined.
   */
  covering(
    namespace: string,
    shard: number,
    startMs: number,
    endMs: number,
  ): DiskBlock | undefined {
    let best: DiskBlock | undefined;
    for (const b of this.shardList(namespace, shard)) {
      if (b.id.startMs >= endMs) break;
      if (overlaps(b.id, startMs, endMs) && (best === undefined || b.id.volume > best.id.volume)) {
        best = b;
      }
    }
    return best;
  }

  /** The served volumes of a shard overlapping [fromMs, toMs), lowest volume number first (later writes last). */
  inRange(namespace: string, shard: number, fromMs: number, toMs: number): DiskBlock[] {
    const out: DiskBlock[] = [];
    for (const b of this.shardList(namespace, shard)) {
      if (b.id.startMs >= toMs) break;
      if (b.id.endMs > fromMs) out.push(b);
    }
    if (out.length > 1) out.sort((a, b) => a.id.volume - b.id.volume);
    return out;
  }

  /** The served volumes of one shard, by start. */
  shardBlocks(namespace: string, shard: number): readonly DiskBlock[] {
    return this.shardList(namespace, shard);
  }

  /** Every served volume of a namespace. */
  blocks(namespace: string): DiskBlock[] {
    const out: DiskBlock[] = [];
    for (const list of this.byShard.get(namespace)?.values() ?? []) out.push(...list);
    return out;
  }

  /** Number of served volumes across namespaces. */
  get size(): number {
    let n = 0;
    for (const m of this.byShard.values()) for (const list of m.values()) n += list.length;
    return n;
  }

  /** The volume number a new volume of [startMs, endMs) must take: above every one noted for an overlapping span. */
  nextVolume(namespace: string, shard: number, startMs: number, endMs: number): number {
    let next = 0;
    for (const k of this.known.get(namespace)?.get(shard) ?? []) {
      if (overlaps(k, startMs, endMs) && k.volume >= next) next = k.volume + 1;
    }
    return next;
  }

  /** Records that a volume number exists on disk (served or not), so it is never reused. */
  noteVolume(id: DataVolumeId): void {
    let m = this.known.get(id.namespace);
    if (m === undefined) {
      m = new Map();
      this.known.set(id.namespace, m);
    }
    const list = m.get(id.shard) ?? [];
    list.push({ startMs: id.startMs, endMs: id.endMs, volume: id.volume });
    m.set(id.shard, list);
  }

  /** Forgets noted volume numbers of spans that ended by `cutoffMs` (past retention: nothing is written there again). */
  forgetKnownBefore(namespace: string, cutoffMs: number): void {
    for (const [shard, list] of this.known.get(namespace) ?? []) {
      const kept = list.filter((k) => k.endMs > cutoffMs);
      this.known.get(namespace)?.set(shard, kept);
    }
  }

  /**
   * Serves `reader`'s volume; the served volumes it replaces are retired:
   * those whose spans lie inside its own and whose numbers are lower.
   */
  install(reader: DataVolume): DiskBlock {
    const id = reader.id;
    this.noteVolume(id);
    let shards = this.byShard.get(id.namespace);
    if (shards === undefined) {
      shards = new Map();
      this.byShard.set(id.namespace, shards);
    }
    const block: DiskBlock = { id, key: volumeKey(id), reader, reads: 0, retired: false };
    const replaced: DiskBlock[] = [];
    const kept: DiskBlock[] = [];
    for (const b of shards.get(id.shard) ?? []) {
      const inside = b.id.startMs >= id.startMs && b.id.endMs <= id.endMs;
      if (inside && b.id.volume < id.volume) replaced.push(b);
      else kept.push(b);
    }
    kept.push(block);
    kept.sort((a, b) => a.id.startMs - b.id.startMs || a.id.volume - b.id.volume);
    shards.set(id.shard, kept);
    for (const b of replaced) this.retire(b);
    return block;
  }

  /** Stops serving a volume and removes it once unread. */
  remove(block: DiskBlock): void {
    const shards = this.byShard.get(block.id.namespace);
    const list = shards?.get(block.id.shard);
    if (shards !== undefined && list?.includes(block) === true) {
      shards.set(
        block.id.shard,
        list.filter((b) => b !== block),
      );
    }
    this.retire(block);
  }

  /** Stops serving every volume of a namespace (it was dropped); returns them. */
  forgetNamespace(namespace: string): DiskBlock[] {
    const blocks = this.blocks(namespace);
    this.byShard.delete(namespace);
    this.known.delete(namespace);
    for (const b of blocks) this.retire(b);
    return blocks;
  }

  /** Marks a read of the volume as started; pair with release. */
  acquire(block: DiskBlock): void {
    block.reads++;
  }

  release(block: DiskBlock): void {
    block.reads--;
    if (block.reads === 0 && block.retired) this.destroy(block);
  }

  private retire(block: DiskBlock): void {
    if (block.retired) return;
    block.retired = true;
    this.cache.dropVolume(block.key);
    if (block.reads === 0) this.destroy(block);
  }

  private destroy(block: DiskBlock): void {
    const p = (async () => {
      await block.reader.close();
      await removeDataVolume(this.root, block.id, this.handles.fs);
    })()
      .catch((err: unknown) => this.onRemoveError(block.id, err))
      .finally(() => this.removals.delete(p));
    this.removals.add(p);
  }

  /** Waits for pending volume removals. */
  async drain(): Promise<void> {
    while (this.removals.size > 0) await Promise.all([...this.removals]);
  }

  /** Closes every served volume's reader (files stay); for shutdown. */
  async close(): Promise<void> {
    for (const m of this.byShard.values()) {
      for (const list of m.values()) for (const b of list) await b.reader.close();
    }
    this.byShard.clear();
    await this.drain();
  }
}
