// The series of one namespace, struct-of-arrays: an ID string, a commit-log
// series index, a shard and the encoded tags per series, in columns indexed
// by the series' ref. Tags live in a shared byte arena, not one array each,
// and the commit log's view of a series is one reused cursor object, so an
// active series costs a few dozen bytes of bookkeeping beside its buffer.
import type { SeriesMetadata } from "../commitlog/index.js";
import { SeriesBuffer } from "./series-buffer.js";

/** Bytes per arena chunk; a tag set larger than this gets a chunk of its own. */
const ARENA_CHUNK_BYTES = 1 << 20;
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
  private arenaUsed = 0;
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
    const ref = this.ids.length;
    if (ref === this.shard.length) this.growColumns();
    this.ids.push(id);
    this.buffers.push(new SeriesBuffer());
    this.byId.set(id, ref);
    this.seriesIndex[ref] = seriesIndex;
    this.shard[ref] = shard;
    this.indexed[ref] = fresh ? FRESH : Number.NaN;
    this.pins[ref] = 0;
    this.storeTags(ref, encodedTags);
    return ref;
  }

  /** Removes a series whose buffer has emptied; its ref is never reused (its tag bytes stay in the arena). */
  remove(ref: number): void {
    const id = this.ids[ref];
    if (id === null) return;
    if (this.pins[ref] > 0)
      throw new Error(`series ${id} of ${this.namespace} removed while a write holds it`);
    this.byId.delete(id);
    this.ids[ref] = null;
    this.buffers[ref] = null;
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
    let chunk = this.arena.length - 1;
    if (this.arenaUsed + tags.length > this.arena[chunk].length) {
      this.arena.push(new Uint8Array(Math.max(ARENA_CHUNK_BYTES, tags.length)));
      chunk++;
      this.arenaUsed = 0;
    }
    this.arena[chunk].set(tags, this.arenaUsed);
    this.tagChunk[ref] = chunk;
    this.tagOffset[ref] = this.arenaUsed;
    this.tagLength[ref] = tags.length;
    this.arenaUsed += tags.length;
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
