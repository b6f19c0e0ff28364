// The in-memory buffer of one series (M3's
// src/dbnode/storage/series/buffer.go): buckets keyed by block start and write
// type (warm or cold), each holding M3TSZ encoders. A write goes to the first
// encoder whose last datapoint is before it; an out-of-order datapoint opens
// another encoder instead of failing. Reads merge a block's encoders in
// creation order, so for equal timestamps the later write wins. The tick merges
// a bucket's encoders back into one.
import { M3tszEncoder, MultiStreamIterator } from "../../codec/index.js";

/** Warm writes land inside (now - bufferPast, now + bufferFuture); cold ones outside it. */
export const WriteType = { Warm: 0, Cold: 1 } as const;
export type WriteType = (typeof WriteType)[keyof typeof WriteType];

/** An encoder with the node-wide sequence it was created at, which orders it in reads. */
export class BufferEncoder extends M3tszEncoder {
  seq = 0;
}

/** A bucket: the encoders of one block and write type (version 0 until flushes exist). */
export interface Bucket {
  readonly blockStartMs: number;
  readonly writeType: WriteType;
  /** Encoders in creation order. */
  encoders: BufferEncoder[];
}

/** Encoders a bucket may hold before a write merges them back into one. */
export const MAX_ENCODERS_PER_BUCKET = 16;

const f64 = new Float64Array(2);
const u32 = new Uint32Array(f64.buffer);

function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  f64[1] = b;
  return u32[0] === u32[2] && u32[1] === u32[3];
}

/** Hands out increasing encoder creation numbers, shared by a database's buffers. */
export interface SequenceSource {
  nextSeq(): number;
}

/** The buffer of one series. */
export class SeriesBuffer {
  /** Buckets in no particular order; a series rarely has more than two. */
  buckets: Bucket[] = [];

  /**
   * Writes a datapoint into the bucket for (blockStartMs, writeType). An
   * equal timestamp with a bit-identical value at the newest encoder's end is
   * a no-op (a retried write); otherwise the later write wins.
   */
  write(
    blockStartMs: number,
    writeType: WriteType,
    timeMs: number,
    nsInMs: number,
    value: number,
    unit: number,
    annotation: Uint8Array | null,
    seqs: SequenceSource,
  ): void {
    const bucket = this.bucketFor(blockStartMs, writeType);
    const encoders = bucket.encoders;
    const last = encoders.length - 1;
    // An encoder older than one in the block's other bucket that may hold
    // this instant would lose the merge to it, so it must not take the write.
    const floor = this.buckets.length > 1 ? this.newestCovering(bucket, timeMs, nsInMs) : 0;
    for (let i = 0; i <= last; i++) {
      const enc = encoders[i];
      if (enc.seq < floor) continue;
      const lastMs = enc.lastTimeMs;
      if (timeMs > lastMs || (timeMs === lastMs && nsInMs > enc.lastNsInMs)) {
        enc.encode(timeMs, value, unit, nsInMs, annotation);
        return;
      }
      // Only the newest encoder can hold the newest value of its last instant.
      if (
        i === last &&
        timeMs === lastMs &&
        nsInMs === enc.lastNsInMs &&
        annotation === null &&
        sameBits(value, enc.lastValue)
      ) {
        return;
      }
    }
    // The merged encoder may land in another bucket of the block: look again.
    const into =
      encoders.length >= MAX_ENCODERS_PER_BUCKET
        ? this.mergeBlock(blockStartMs, writeType)
        : bucket;
    const enc = new BufferEncoder(blockStartMs);
    enc.seq = seqs.nextSeq();
    enc.encode(timeMs, value, unit, nsInMs, annotation);
    // Arrays are rebuilt at their exact size with concat: push (and spread)
    // reserve room for 16 more, and a buffer exists per active series.
    into.encoders = into.encoders.concat([enc]);
  }

  /** Newest sequence among the encoders of `bucket`'s block in other buckets whose range may hold the instant. */
  private newestCovering(bucket: Bucket, timeMs: number, nsInMs: number): number {
    let newest = 0;
    for (const b of this.buckets) {
      if (b === bucket || b.blockStartMs !== bucket.blockStartMs) continue;
      for (let i = 0; i < b.encoders.length; i++) {
        const enc = b.encoders[i];
        const covers =
          enc.lastTimeMs > timeMs || (enc.lastTimeMs === timeMs && enc.lastNsInMs >= nsInMs);
        if (covers && enc.seq > newest) newest = enc.seq;
      }
    }
    return newest;
  }

  private bucketFor(blockStartMs: number, writeType: WriteType): Bucket {
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      if (b.blockStartMs === blockStartMs && b.writeType === writeType) return b;
    }
    const b: Bucket = { blockStartMs, writeType, encoders: [] };
    this.buckets = buckets.concat([b]);
    return b;
  }

  /**
   * Appends to `out` the streams of every block overlapping [startMs, endMs),
   * blocks in time order and, within a block, encoders in creation order.
   */
  streams(startMs: number, endMs: number, blockSizeMs: number, out: Uint8Array[]): void {
    bucketStreams(this.buckets, startMs, endMs, blockSizeMs, out);
  }

  /** True when some bucket holds data of a block starting before `endMs`. */
  hasBlockBefore(endMs: number): boolean {
    for (const b of this.buckets) if (b.blockStartMs < endMs) return true;
    return false;
  }

  /** Adds to `out` the start of every block the buffer holds data for. */
  blockStarts(out: Set<number>): void {
    for (const b of this.buckets) out.add(b.blockStartMs);
  }

  /** Removes and returns the buckets of one block (a flush takes them; see restore). */
  takeBlock(blockStartMs: number): Bucket[] {
    const taken = this.buckets.filter((b) => b.blockStartMs === blockStartMs);
    if (taken.length > 0) {
      this.buckets = this.buckets.filter((b) => b.blockStartMs !== blockStartMs);
    }
    return taken;
  }

  /**
   * Puts back buckets a failed flush took. Reads and merges order encoders by
   * sequence, so a block may hold two buckets of one write type meanwhile.
   */
  restore(buckets: readonly Bucket[]): void {
    if (buckets.length > 0) this.buckets = this.buckets.concat(buckets);
  }

  /** Number of encoders across all buckets. */
  encoderCount(): number {
    let n = 0;
    for (const b of this.buckets) n += b.encoders.length;
    return n;
  }

  /** Merges every block held in several encoders into one; returns how many blocks were merged. */
  mergeEncoders(): number {
    const buckets = this.buckets;
    let merged = 0;
    for (let i = 0; i < buckets.length; i++) {
      const start = buckets[i].blockStartMs;
      let encoders = 0;
      let firstOfBlock = true;
      for (let j = 0; j < buckets.length; j++) {
        if (buckets[j].blockStartMs !== start) continue;
        if (j < i) firstOfBlock = false;
        encoders += buckets[j].encoders.length;
      }
      if (firstOfBlock && encoders > 1) {
        this.mergeBlock(start, buckets[i].writeType);
        merged++;
      }
    }
    return merged;
  }

  /**
   * Rewrites every encoder of a block, across its buckets, as one encoder in
   * one bucket (of `writeType`, which it returns), the later write winning at
   * equal instants. A block is merged whole: merging one bucket alone would
   * give its older datapoints the newest sequence of the bucket and let them
   * beat a later write held in the block's other bucket.
   */
  private mergeBlock(blockStartMs: number, writeType: WriteType): Bucket {
    let newest = 0;
    for (const b of this.buckets) {
      if (b.blockStartMs !== blockStartMs) continue;
      for (const e of b.encoders) if (e.seq > newest) newest = e.seq;
    }
    // The block alone, its encoders in sequence order.
    const streams: Uint8Array[] = [];
    bucketStreams(this.buckets, blockStartMs, blockStartMs + 1, 1, streams);
    const it = new MultiStreamIterator();
    it.reset(streams);
    const merged = new BufferEncoder(blockStartMs);
    merged.seq = newest;
    encodeMerged(it, merged, `merging block ${blockStartMs}`);
    const bucket: Bucket = { blockStartMs, writeType, encoders: [merged] };
    this.buckets = this.buckets.filter((b) => b.blockStartMs !== blockStartMs).concat([bucket]);
    return bucket;
  }

  /** Drops buckets whose block ends at or before `cutoffMs`; returns how many. */
  dropBlocksBefore(cutoffMs: number, blockSizeMs: number): number {
    const before = this.buckets.length;
    // Most ticks drop nothing: only then build a new (exact-size) array.
    if (this.buckets.every((b) => b.blockStartMs + blockSizeMs > cutoffMs)) return 0;
    this.buckets = this.buckets.filter((b) => b.blockStartMs + blockSizeMs > cutoffMs).slice();
    return before - this.buckets.length;
  }

  /** True when the buffer holds no data. */
  isEmpty(): boolean {
    return this.buckets.length === 0;
  }
}

/**
 * Appends to `out` the streams of the buckets' blocks overlapping [startMs,
 * endMs), in encoder creation order (the order that decides equal instants;
 * blocks never overlap in time, so their relative order does not matter).
 */
export function bucketStreams(
  buckets: readonly Bucket[],
  startMs: number,
  endMs: number,
  blockSizeMs: number,
  out: Uint8Array[],
): void {
  const picked: BufferEncoder[] = [];
  for (const b of buckets) {
    if (b.blockStartMs >= endMs || b.blockStartMs + blockSizeMs <= startMs) continue;
    for (let i = 0; i < b.encoders.length; i++) picked.push(b.encoders[i]);
  }
  picked.sort((a, b) => a.seq - b.seq);
  for (const enc of picked) if (enc.length > 0) out.push(enc.bytes());
}

/**
 * One stream of a block from several, the later stream winning at equal
 * instants; a single stream is returned as it is.
 */
export function mergeStreams(
  blockStartMs: number,
  streams: Uint8Array[],
  what: string,
): Uint8Array {
  if (streams.length === 1) return streams[0];
  const it = new MultiStreamIterator();
  it.reset(streams);
  const enc = new M3tszEncoder(blockStartMs);
  encodeMerged(it, enc, what);
  return enc.bytes();
}

function encodeMerged(it: MultiStreamIterator, enc: M3tszEncoder, what: string): void {
  while (it.next()) enc.encode(it.timeMs, it.value, it.unit, it.nsInMs, it.annotation);
  if (it.error !== null) {
    // Streams written by this process never fail to decode; if one does, memory is corrupt.
    throw new Error(`series buffer: ${what} failed: ${it.error.message}`);
  }
}
