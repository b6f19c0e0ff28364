// The flushed half of the node: for every namespace/shard/block, the fileset
// volume reads are served from. A volume replaced by a cold flush, or past
// retention, is retired: it leaves the cache at once and its files go when
// the last read that chose it has finished.
import {
  type FileHandlePool,
  removeVolume,
  type VolumeId,
  type VolumeReader,
} from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";

/** A served volume of one namespace/shard/block. */
export interface DiskBlock {
  readonly id: VolumeId;
  /** Unique per volume: names its entries in the block cache. */
  readonly key: string;
  readonly reader: VolumeReader;
  /** Reads that chose this volume and have not finished. */
  reads: number;
  retired: boolean;
}

/** Map key of a shard's block. */
export function blockKey(shard: number, blockStartMs: number): string {
  return `${shard}/${blockStartMs}`;
}

/** Cache key of a volume. */
export function volumeKey(id: VolumeId): string {
  return `${id.namespace}/${id.shard}/${id.blockStartMs}/${id.volume}`;
}

/** The served volumes of every namespace, with retirement and deferred removal. */
export class DiskBlocks {
  private readonly root: string;
  readonly handles: FileHandlePool;
  private readonly cache: BlockCache;
  /** Per namespace: served volume by blockKey. */
  private readonly byNamespace = new Map<string, Map<string, DiskBlock>>();
  /** Per namespace and shard: served volumes sorted by block start, for range reads. */
  private readonly byShard = new Map<string, Map<number, DiskBlock[]>>();
  /** Per namespace: highest volume number known on disk by blockKey, served or not. */
  private readonly highest = new Map<string, Map<string, number>>();
  /** Removals in progress, awaited by drain(). */
  private readonly removals = new Set<Promise<void>>();
  private readonly onRemoveError: (id: VolumeId, err: unknown) => void;

  constructor(
    root: string,
    handles: FileHandlePool,
    cache: BlockCache,
    onRemoveError: (id: VolumeId, err: unknown) => void,
  ) {
    this.root = root;
    this.handles = handles;
    this.cache = cache;
    this.onRemoveError = onRemoveError;
  }

  /** The served volume of a shard's block, if any. */
  get(namespace: string, shard: number, blockStartMs: number): DiskBlock | undefined {
    return this.byNamespace.get(namespace)?.get(blockKey(shard, blockStartMs));
  }

  /** The served volumes of a shard whose block starts in [fromMs, toMs), by block start. */
  inRange(namespace: string, shard: number, fromMs: number, toMs: number): DiskBlock[] {
    const list = this.byShard.get(namespace)?.get(shard);
    if (list === undefined) return [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].id.blockStartMs < fromMs) lo = mid + 1;
      else hi = mid;
    }
    const out: DiskBlock[] = [];
    for (let i = lo; i < list.length && list[i].id.blockStartMs < toMs; i++) out.push(list[i]);
    return out;
  }

  /** Every served volume of a namespace. */
  blocks(namespace: string): DiskBlock[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  /** Number of served volumes across namespaces. */
  get size(): number {
    let n = 0;
    for (const m of this.byNamespace.values()) n += m.size;
    return n;
  }

  /** The volume number a new volume of this block must take. */
  nextVolume(namespace: string, shard: number, blockStartMs: number): number {
    const known = this.highest.get(namespace)?.get(blockKey(shard, blockStartMs));
    return known === undefined ? 0 : known + 1;
  }

  /** Records that a volume number exists on disk (served or not), so it is never reused. */
  noteVolume(id: VolumeId): void {
    let m = this.highest.get(id.namespace);
    if (m === undefined) {
      m = new Map();
      this.highest.set(id.namespace, m);
    }
    const key = blockKey(id.shard, id.blockStartMs);
    if ((m.get(key) ?? -1) < id.volume) m.set(key, id.volume);
  }

  /** Serves `reader`'s volume for its block; the volume served before is retired. */
  install(reader: VolumeReader): DiskBlock {
    const id = reader.id;
    this.noteVolume(id);
    let m = this.byNamespace.get(id.namespace);
    if (m === undefined) {
      m = new Map();
      this.byNamespace.set(id.namespace, m);
    }
    const key = blockKey(id.shard, id.blockStartMs);
    const before = m.get(key);
    const block: DiskBlock = { id, key: volumeKey(id), reader, reads: 0, retired: false };
    m.set(key, block);
    this.setInShard(block, before);
    if (before !== undefined) this.retire(before);
    return block;
  }

  /** Stops serving a block's volume and removes it once unread. */
  remove(block: DiskBlock): void {
    const m = this.byNamespace.get(block.id.namespace);
    const key = blockKey(block.id.shard, block.id.blockStartMs);
    if (m?.get(key) === block) {
      m.delete(key);
      this.setInShard(null, block);
    }
    this.retire(block);
  }

  /** Puts `block` in its shard's sorted list in place of `replaced` (either may be null). */
  private setInShard(block: DiskBlock | null, replaced: DiskBlock | undefined | null): void {
    const id = (block ?? replaced)?.id;
    if (id === undefined) return;
    let shards = this.byShard.get(id.namespace);
    if (shards === undefined) {
      shards = new Map();
      this.byShard.set(id.namespace, shards);
    }
    const list = (shards.get(id.shard) ?? []).filter((b) => b !== replaced);
    if (block !== null) {
      list.push(block);
      list.sort((a, b) => a.id.blockStartMs - b.id.blockStartMs);
    }
    shards.set(id.shard, list);
  }

  /** Stops serving every volume of a namespace (it was dropped); returns them. */
  forgetNamespace(namespace: string): DiskBlock[] {
    const blocks = this.blocks(namespace);
    this.byNamespace.delete(namespace);
    this.byShard.delete(namespace);
    this.highest.delete(namespace);
    for (const b of blocks) this.retire(b);
    return blocks;
  }

  /** Marks a read of the block as started; pair with release. */
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
      await removeVolume(this.root, "data", block.id, this.handles.fs);
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
    for (const m of this.byNamespace.values()) {
      for (const b of m.values()) await b.reader.close();
    }
    this.byNamespace.clear();
    this.byShard.clear();
    await this.drain();
  }
}
