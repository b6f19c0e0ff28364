// The in-memory buffer of one series (M3's
// src/dbnode/storage/series/buffer.go): buckets keyed by block start and write
// type (warm or cold), each holding M3TSZ encoders. A write goes to the first
// encoder whose last datapoint is before it; an out-of-order datapoint opens
// another encoder instead of failing. Reads merge a block's encoders in
// creation order, so for equal timestamps the later write wins. The tick merges
// a bucket's encoders back into one.
//
// Like a Prometheus head chunk, the encoder that takes the newest datapoints
// is cut every SAMPLES_PER_CUT of them: the bucket's encoders are sealed into
// immutable chunks (their finished streams and time spans) and a new encoder
// takes the write. A read leaves out every encoder and chunk whose last
// datapoint is before its start, so an instant query at "now" decodes the
// last chunk or two of a block instead of the whole block. Sealing keeps the
// rule that decides equal instants: every chunk of a bucket is older than
// its live encoders, which alone take writes.
import { M3tszEncoder, M3tszIterator, MultiStreamIterator } from "../../codec/index.js";
import { firstInstant, SealedChunks } from "./sealed-chunks.js";

/** Warm writes land inside (now - bufferPast, now + bufferFuture); cold ones outside it. */
export const WriteType = { Warm: 0, Cold: 1 } as const;
export type WriteType = (typeof WriteType)[keyof typeof WriteType];

/** An encoder with the node-wide sequence it was created at, which orders it in reads. */
export class BufferEncoder extends M3tszEncoder {
  seq = 0;
}

/** A new encoder of `seq` holding one datapoint. */
function newEncoder(
  blockStartMs: number,
  seq: number,
  timeMs: number,
  nsInMs: number,
  value: number,
  unit: number,
  annotation: Uint8Array | null,
): BufferEncoder {
  const enc = new BufferEncoder(blockStartMs);
  enc.seq = seq;
  enc.encode(timeMs, value, unit, nsInMs, annotation);
  return enc;
}

/** A bucket: the encoders of one block and write type (version 0 until flushes exist). */
export interface Bucket {
  readonly blockStartMs: number;
  readonly writeType: WriteType;
  /** Live encoders in creation order; only they take writes. */
  encoders: BufferEncoder[];
  /** Sealed chunks, none newer (by sequence) than a live encoder of the bucket. */
  sealed: SealedChunks;
}

/** Live encoders a bucket may hold before a write merges its block back into one. */
export const MAX_ENCODERS_PER_BUCKET = 16;

/**
 * Datapoints the newest encoder of a bucket takes before the next in-order
 * write cuts it (Prometheus cuts a head chunk at 120 samples). Chunks are not
 * counted against MAX_ENCODERS_PER_BUCKET.
 */
export const SAMPLES_PER_CUT = 120;

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
        // The first live encoder holds the newest datapoints of the bucket.
        if (i === 0 && enc.length >= SAMPLES_PER_CUT) {
          this.cut(bucket, timeMs, nsInMs, value, unit, annotation, seqs);
          return;
        }
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
    const enc = newEncoder(blockStartMs, seqs.nextSeq(), timeMs, nsInMs, value, unit, annotation);
    // Arrays are rebuilt at their exact size with concat: push (and spread)
    // reserve room for 16 more, and a buffer exists per active series.
    into.encoders = into.encoders.concat([enc]);
  }

  /**
   * Seals every live encoder of `bucket` and writes the datapoint into a new
   * one. Sealing all of them, not only the full one, keeps each chunk older
   * than every encoder that may still take a write: a sealed out-of-order
   * encoder could otherwise take a datapoint the new encoder already holds
   * and lose the merge to it.
   */
  private cut(
    bucket: Bucket,
    timeMs: number,
    nsInMs: number,
    value: number,
    unit: number,
    annotation: Uint8Array | null,
    seqs: SequenceSource,
  ): void {
    const seq = seqs.nextSeq();
    const enc = newEncoder(bucket.blockStartMs, seq, timeMs, nsInMs, value, unit, annotation);
    bucket.sealed = bucket.sealed.with(bucket.encoders);
    bucket.encoders = [enc];
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
      const sealed = b.sealed;
      for (let i = 0; i < sealed.length; i++) {
        const lastMs = sealed.lastMs(i);
        const covers = lastMs > timeMs || (lastMs === timeMs && sealed.lastNsInMs(i) >= nsInMs);
        if (covers && sealed.seq(i) > newest) newest = sealed.seq(i);
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
    const b: Bucket = { blockStartMs, writeType, encoders: [], sealed: SealedChunks.EMPTY };
    this.buckets = buckets.concat([b]);
    return b;
  }

  /**
   * Appends to `out` the streams of every block overlapping [startMs, endMs),
   * in creation order, leaving out those that end before startMs.
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

  /** Number of live encoders across all buckets. */
  encoderCount(): number {
    let n = 0;
    for (const b of this.buckets) n += b.encoders.length;
    return n;
  }

  /** Number of sealed chunks across all buckets. */
  sealedCount(): number {
    let n = 0;
    for (const b of this.buckets) n += b.sealed.length;
    return n;
  }

  /**
   * Merges every block that is held in several buckets or live encoders, or
   * whose chunks overlap in time, into chunks that follow each other;
   * returns how many blocks were merged. A block written in order is left
   * as it is.
   */
  mergeEncoders(): number {
    const buckets = this.buckets;
    let merged = 0;
    for (let i = 0; i < buckets.length; i++) {
      const start = buckets[i].blockStartMs;
      let inBlock = 0;
      let firstOfBlock = true;
      for (let j = 0; j < buckets.length; j++) {
        if (buckets[j].blockStartMs !== start) continue;
        if (j < i) firstOfBlock = false;
        inBlock++;
      }
      if (!firstOfBlock) continue;
      if (inBlock > 1 || !isTidy(buckets[i])) {
        this.mergeBlock(start, buckets[i].writeType);
        merged++;
      }
    }
    return merged;
  }

  /**
   * Rewrites every encoder and chunk of a block, across its buckets, as
   * consecutive chunks and one live encoder in one bucket (of `writeType`,
   * which it returns), the later write winning at equal instants. A block is merged whole: merging one bucket alone would
   * give its older datapoints the newest sequence of the bucket and let them
   * beat a later write held in the block's other bucket.
   */
  private mergeBlock(blockStartMs: number, writeType: WriteType): Bucket {
    let newest = 0;
    for (const b of this.buckets) {
      if (b.blockStartMs !== blockStartMs) continue;
      for (const e of b.encoders) if (e.seq > newest) newest = e.seq;
      for (let i = 0; i < b.sealed.length; i++) newest = Math.max(newest, b.sealed.seq(i));
    }
    // The block alone, its encoders in sequence order.
    const streams: Uint8Array[] = [];
    bucketStreams(this.buckets, blockStartMs, blockStartMs + 1, 1, streams);
    const it = new MultiStreamIterator();
    it.reset(streams);
    // Cut as writes cut: every chunk but the last is sealed. The chunks
    // share the newest sequence; they never hold the same instant.
    const sealed: BufferEncoder[] = [];
    let enc = new BufferEncoder(blockStartMs);
    enc.seq = newest;
    while (it.next()) {
      if (enc.length >= SAMPLES_PER_CUT) {
        sealed.push(enc);
        enc = new BufferEncoder(blockStartMs);
        enc.seq = newest;
      }
      enc.encode(it.timeMs, it.value, it.unit, it.nsInMs, it.annotation);
    }
    checkMerged(it, `merging block ${blockStartMs}`);
    const bucket: Bucket = {
      blockStartMs,
      writeType,
      encoders: [enc],
      sealed: SealedChunks.EMPTY.with(sealed),
    };
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

let scratch = new Uint8Array(256);
const first = { ms: 0, nsInMs: 0 };

/** a's instant is strictly before b's. */
function before(aMs: number, aNs: number, bMs: number, bNs: number): boolean {
  return aMs < bMs || (aMs === bMs && aNs < bNs);
}

/**
 * True when a bucket is as a merge would leave it: at most one live encoder,
 * and its chunks, then that encoder, each starting after the one before ends.
 */
function isTidy(b: Bucket): boolean {
  if (b.encoders.length > 1) return false;
  const c = b.sealed;
  for (let i = 1; i < c.length; i++) {
    if (!before(c.lastMs(i - 1), c.lastNsInMs(i - 1), c.firstMs(i), c.firstNsInMs(i))) return false;
  }
  if (c.length === 0 || b.encoders.length === 0 || b.encoders[0].length === 0) return true;
  const p = c.length - 1;
  const e = b.encoders[0];
  if (e.seq < c.seq(p)) return false;
  // The encoder does not keep its first instant (a field per active series): decode it.
  let size = e.byteLength;
  if (size > scratch.length) scratch = new Uint8Array(size * 2);
  size = e.copyTo(scratch, 0);
  firstInstant(scratch.subarray(0, size), first);
  return before(c.lastMs(p), c.lastNsInMs(p), first.ms, first.nsInMs);
}

/**
 * Appends to `out` the streams of the buckets' blocks overlapping [startMs,
 * endMs), in creation order (the order that decides equal instants; blocks
 * never overlap in time, so their relative order does not matter). Encoders
 * and chunks whose last datapoint is before startMs are left out: none of
 * their datapoints is in the range, and leaving a stream out changes no
 * instant it does not hold. A block's datapoints are never before its start,
 * so a start at or before the block's start keeps every stream of it.
 */
export function bucketStreams(
  buckets: readonly Bucket[],
  startMs: number,
  endMs: number,
  blockSizeMs: number,
  out: Uint8Array[],
): void {
  let shared = false;
  for (let i = 0; i < buckets.length && !shared; i++) {
    const b = buckets[i];
    if (!overlaps(b, startMs, endMs, blockSizeMs)) continue;
    for (let j = i + 1; j < buckets.length; j++) {
      if (
        buckets[j].blockStartMs === b.blockStartMs &&
        overlaps(buckets[j], startMs, endMs, blockSizeMs)
      ) {
        shared = true;
        break;
      }
    }
  }
  if (!shared) {
    // One bucket per block: its chunks, then its live encoders, are in sequence order already.
    for (const b of buckets) {
      if (overlaps(b, startMs, endMs, blockSizeMs)) pushStreams(b, startMs, out);
    }
    return;
  }
  const picked: { seq: number; stream: Uint8Array }[] = [];
  for (const b of buckets) {
    if (!overlaps(b, startMs, endMs, blockSizeMs)) continue;
    const c = b.sealed;
    for (let i = 0; i < c.length; i++) {
      if (c.lastMs(i) >= startMs) picked.push({ seq: c.seq(i), stream: c.stream(i) });
    }
    for (const enc of b.encoders) {
      if (enc.length > 0 && enc.lastTimeMs >= startMs)
        picked.push({ seq: enc.seq, stream: enc.bytes() });
    }
  }
  picked.sort((a, b) => a.seq - b.seq);
  for (const p of picked) out.push(p.stream);
}

function overlaps(b: Bucket, startMs: number, endMs: number, blockSizeMs: number): boolean {
  return b.blockStartMs < endMs && b.blockStartMs + blockSizeMs > startMs;
}

function pushStreams(b: Bucket, startMs: number, out: Uint8Array[]): void {
  const c = b.sealed;
  for (let i = 0; i < c.length; i++) if (c.lastMs(i) >= startMs) out.push(c.stream(i));
  for (const enc of b.encoders)
    if (enc.length > 0 && enc.lastTimeMs >= startMs) out.push(enc.bytes());
}

/**
 * One stream of a block's data: `older` (a volume's stream, or null) and the
 * streams of the buckets of the block among `buckets`, the later write
 * winning at equal instants; null when there is no datapoint. A block held
 * in one bucket whose chunks follow each other in time is decoded chunk
 * after chunk, without merging.
 */
export function blockStream(
  buckets: readonly Bucket[],
  blockStartMs: number,
  older: Uint8Array | null,
  what: string,
): Uint8Array | null {
  let inBlock = 0;
  let tidy = true;
  for (const b of buckets) {
    if (b.blockStartMs !== blockStartMs) continue;
    inBlock++;
    tidy = tidy && isTidy(b);
  }
  if (inBlock === 0) return older;
  // The block alone (a start at the block's start leaves no stream out), in sequence order.
  const streams: Uint8Array[] = older === null || older.length === 0 ? [] : [older];
  bucketStreams(buckets, blockStartMs, blockStartMs + 1, 1, streams);
  if (streams.length === 0) return older;
  if (streams.length === 1) return streams[0];
  if (older !== null || inBlock > 1 || !tidy) return mergeStreams(blockStartMs, streams, what);
  const it = new M3tszIterator(null);
  const enc = new M3tszEncoder(blockStartMs);
  for (const stream of streams) {
    it.reset(stream);
    while (it.next()) enc.encode(it.timeMs, it.value, it.unit, it.nsInMs, it.annotation);
    if (it.error !== null) {
      throw new Error(`series buffer: ${what} failed: ${it.error.message}`);
    }
  }
  return enc.bytes();
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
  checkMerged(it, what);
}

function checkMerged(it: MultiStreamIterator, what: string): void {
  if (it.error !== null) {
    // Streams written by this process never fail to decode; if one does, memory is corrupt.
    throw new Error(`series buffer: ${what} failed: ${it.error.message}`);
  }
}
