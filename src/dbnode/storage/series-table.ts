// The series of one namespace, struct-of-arrays: an ID string, a commit-log
// series index, a shard and the encoded tags per series, in columns indexed
// by the series' ref. Tags live in a shared byte arena, not one array each,
// and the commit log's view of a series is one reused cursor object, so an
// active series costs a few dozen bytes of bookkeeping beside its buffer.
// A removed series gives its ref and its tag bytes back (reclaim), so the
// table's memory follows the live series, not every series ever created.
import type { SeriesMetadata } from "../commitlog/index.js";
import { SeriesBuffer } from "./series-buffer.js";

/** Bytes per arena chunk; a tag set larger than this gets a chunk of its own. */
const ARENA_CHUNK_BYTES = 1 << 20;
/**
 * A full chunk whose live bytes fall below this share is compacted: its live
 * tags are copied to the chunk being filled and the chunk is let go. With a
 * half, the arena holds at most about twice the live tag bytes plus a chunk.
 */
const ARENA_COMPACT_BELOW = 0.5;
/** Stands in for a chunk let go; never written, so views of old tags stay valid. */
const NO_CHUNK = new Uint8Array(0);
const utf8 = new TextEncoder();

/**
 * indexedBlock of a series never indexed whose ID no index block can hold:
 * it was created by a live write, no series with its ID was removed within
 * retention, and its namespace's index was not restored from disk into the
 * block it is written in (TimeIndex checks that part).
 */
export const FRESH = Number.NEGATIVE_INFINITY;

export class SeriesTable {
  readonly namespace: string;
  /** Series by ID. */
  readonly byId = new Map<string, number>();
  /** Per ref: the ID (null once the series is removed) and its buffer. */
  readonly ids: (string | null)[] = [];
  readonly buffers: (SeriesBuffer | null)[] = [];
  private seriesIndex = new Float64Array(1024);
  private shard = new Int32Array(1024);
  // Where each series' encoded tags sit: arena chunk, offset, length.
  private tagChunk = new Int32Array(1024);
  private tagOffset = new Int32Array(1024);
  private tagLength = new Int32Array(1024);
  // The index block each series was last indexed for (NaN: none yet).
  private indexed = new Float64Array(1024).fill(Number.NaN);
  // Writes in flight that resolved each series: a pinned series is not removed.
  private pins = new Int32Array(1024);
  private readonly arena: Uint8Array[] = [new Uint8Array(ARENA_CHUNK_BYTES)];
  /** Per chunk: bytes of tags of series still in the table. */
  private chunkLive: number[] = [0];
  /** The chunk being filled and its used bytes; chunks before it are full. */
  private current = 0;
  private arenaUsed = 0;
  /** Indexes of let-go chunks, reused before the arena list grows. */
  private readonly freeChunks: number[] = [];
  /**
   * Refs free for add, as a stack. A removed ref waits in `removed` until
   * reclaim(): its namespace first drops it from the shard lists, so a reused
   * ref is never listed under the old series' shard.
   */
  private freeRefs = new Int32Array(1024);
  private freeCount = 0;
  private removed: number[] = [];
  /** The reused commit-log view, pointed at one series at a time. */
  private readonly cursor: MetadataCursor;

  constructor(namespace: string) {
    this.namespace = namespace;
    this.cursor = new MetadataCursor(this);
  }

  /** Number of live series. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds a series and returns its ref; `encodedTags` is copied into the
   * arena. `fresh`: no index block can hold the ID yet (see FRESH).
   */
  add(
    id: string,
    seriesIndex: number,
    shard: number,
    encodedTags: Uint8Array,
    fresh = false,
  ): number {
    let ref: number;
    if (this.freeCount > 0) {
      // Every column is set below; ids[ref] changes, so a caller's cached
      // ref for the removed series no longer passes `ids[ref] === id`.
      ref = this.freeRefs[--this.freeCount];
      this.ids[ref] = id;
      this.buffers[ref] = new SeriesBuffer();
    } else {
      ref = this.ids.length;
      if (ref === this.shard.length) this.growColumns();
      this.ids.push(id);
      this.buffers.push(new SeriesBuffer());
    }
    this.byId.set(id, ref);
    this.seriesIndex[ref] = seriesIndex;
    this.shard[ref] = shard;
    this.indexed[ref] = fresh ? FRESH : Number.NaN;
    this.pins[ref] = 0;
    this.storeTags(ref, encodedTags);
    return ref;
  }

  /** Number of refs, live or free: the length of every column in use. */
  get slots(): number {
    return this.ids.length;
  }

  /** Bytes held by arena chunks (live tags, dead tags and unused tail). */
  get arenaBytes(): number {
    let n = 0;
    for (const chunk of this.arena) n += chunk.length;
    return n;
  }

  /**
   * Removes a series whose buffer has emptied. Its tag bytes count as dead at
   * once; its ref becomes free for add after the next reclaim().
   */
  remove(ref: number): void {
    const id = this.ids[ref];
    if (id === null) return;
    if (this.pins[ref] > 0)
      throw new Error(`series ${id} of ${this.namespace} removed while a write holds it`);
    this.byId.delete(id);
    this.ids[ref] = null;
    this.buffers[ref] = null;
    this.chunkLive[this.tagChunk[ref]] -= this.tagLength[ref];
    this.tagLength[ref] = 0;
    this.removed.push(ref);
  }

  /**
   * Makes the refs removed since the last call free for add, and compacts
   * arena chunks mostly dead. The caller must have dropped those refs from
   * every list that names series by ref (Namespace.reclaim does).
   */
  reclaim(): void {
    const removed = this.removed;
    if (this.freeCount + removed.length > this.freeRefs.length) {
      const bigger = new Int32Array(
        Math.max(this.freeRefs.length * 2, this.freeCount + removed.length),
      );
      bigger.set(this.freeRefs.subarray(0, this.freeCount));
      this.freeRefs = bigger;
    }
    for (let k = 0; k < removed.length; k++) this.freeRefs[this.freeCount++] = removed[k];
    this.removed = [];
    this.compactArena();
  }

  /** Copies the live tags out of mostly dead full chunks and lets those chunks go. */
  private compactArena(): void {
    const moving = new Uint8Array(this.arena.length);
    let any = false;
    for (let c = 0; c < this.arena.length; c++) {
      const chunk = this.arena[c];
      if (c === this.current || chunk === NO_CHUNK) continue;
      if (this.chunkLive[c] < chunk.length * ARENA_COMPACT_BELOW) {
        moving[c] = 1;
        any = true;
      }
    }
    if (!any) return;
    for (let ref = 0; ref < this.ids.length; ref++) {
      if (this.ids[ref] === null || moving[this.tagChunk[ref]] !== 1) continue;
      const c = this.tagChunk[ref];
      const start = this.tagOffset[ref];
      const tags = this.arena[c].subarray(start, start + this.tagLength[ref]);
      this.chunkLive[c] -= tags.length;
      this.storeTags(ref, tags);
    }
    for (let c = 0; c < moving.length; c++) {
      if (moving[c] === 0) continue;
      if (this.chunkLive[c] !== 0)
        throw new Error(
          `arena chunk ${c} of ${this.namespace} still holds ${this.chunkLive[c]} live bytes after compaction`,
        );
      // Dropped, not overwritten: a view a caller took of old tags stays valid.
      this.arena[c] = NO_CHUNK;
      this.freeChunks.push(c);
    }
  }

  /**
   * Marks a series as used by a write that has resolved it and not yet put
   * its datapoints in the buffer; the tick leaves pinned series in place.
   */
  pin(ref: number): void {
    this.pins[ref]++;
  }

  unpin(ref: number): void {
    if (this.pins[ref] <= 0)
      throw new Error(`series ref ${ref} of ${this.namespace} unpinned more than pinned`);
    this.pins[ref]--;
  }

  isPinned(ref: number): boolean {
    return this.pins[ref] > 0;
  }

  shardOf(ref: number): number {
    return this.shard[ref];
  }

  seriesIndexOf(ref: number): number {
    return this.seriesIndex[ref];
  }

  /** Start of the index block the series was last indexed for (NaN or FRESH when none). */
  indexedBlock(ref: number): number {
    return this.indexed[ref];
  }

  setIndexedBlock(ref: number, blockStartMs: number): void {
    this.indexed[ref] = blockStartMs;
  }

  /** A view of the series' encoded tags (allocates the view, not the bytes). */
  tagsOf(ref: number): Uint8Array {
    const start = this.tagOffset[ref];
    return this.arena[this.tagChunk[ref]].subarray(start, start + this.tagLength[ref]);
  }

  /** The commit log's view of a series: valid until the next call. */
  metadata(ref: number): SeriesMetadata {
    this.cursor.ref = ref;
    this.cursor.seriesIndex = this.seriesIndex[ref];
    this.cursor.shard = this.shard[ref];
    return this.cursor;
  }

  private storeTags(ref: number, tags: Uint8Array): void {
    let chunk = this.current;
    if (this.arenaUsed + tags.length > this.arena[chunk].length) {
      const bytes = new Uint8Array(Math.max(ARENA_CHUNK_BYTES, tags.length));
      const reuse = this.freeChunks.pop();
      if (reuse === undefined) {
        chunk = this.arena.length;
        this.arena.push(bytes);
        this.chunkLive.push(0);
      } else {
        chunk = reuse;
        this.arena[chunk] = bytes;
        this.chunkLive[chunk] = 0;
      }
      this.current = chunk;
      this.arenaUsed = 0;
    }
    this.arena[chunk].set(tags, this.arenaUsed);
    this.tagChunk[ref] = chunk;
    this.tagOffset[ref] = this.arenaUsed;
    this.tagLength[ref] = tags.length;
    this.arenaUsed += tags.length;
    this.chunkLive[chunk] += tags.length;
  }

  private growColumns(): void {
    const n = this.shard.length * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.seriesIndex = grow(this.seriesIndex, (k) => new Float64Array(k));
    this.shard = grow(this.shard, (k) => new Int32Array(k));
    this.tagChunk = grow(this.tagChunk, (k) => new Int32Array(k));
    this.tagOffset = grow(this.tagOffset, (k) => new Int32Array(k));
    this.tagLength = grow(this.tagLength, (k) => new Int32Array(k));
    this.indexed = grow(this.indexed, (k) => new Float64Array(k).fill(Number.NaN));
    this.pins = grow(this.pins, (k) => new Int32Array(k));
  }
}

/**
 * SeriesMetadata over the table's columns. The commit log reads `id` and
 * `encodedTags` only when it first writes a series into a file, so they are
 * computed then rather than kept per series.
 */
class MetadataCursor implements SeriesMetadata {
  ref = 0;
  seriesIndex = 0;
  shard = 0;
  readonly namespace: string;
  private readonly table: SeriesTable;

  constructor(table: SeriesTable) {
    this.table = table;
    this.namespace = table.namespace;
  }

  get id(): Uint8Array {
    return utf8.encode(this.table.ids[this.ref] ?? "");
  }

  get encodedTags(): Uint8Array {
    return this.table.tagsOf(this.ref);
  }
}
