// The sealed chunks of one buffer bucket (see series-buffer.ts): the finished
// streams of cut encoders, immutable, kept in one array buffer with a row of
// numbers per chunk (its sequence, first and last instants, where its stream
// ends), so that a block cut a dozen times costs one allocation, not a dozen
// encoders.

import { M3tszIterator } from "../../codec/index.js";

/** Numbers per chunk row: seq, firstMs, firstNsInMs, lastMs, lastNsInMs, stream end. */
const ROW = 6;

const firstIt = new M3tszIterator(null);

/** Sets `out` to the instant of the first datapoint of a stream written by this process. */
export function firstInstant(stream: Uint8Array, out: { ms: number; nsInMs: number }): void {
  firstIt.reset(stream);
  if (!firstIt.next()) {
    // Only non-empty encoders' streams come here; if one does not decode, memory is corrupt.
    throw new Error(`series buffer: a stream of ${stream.length} bytes has no first datapoint`);
  }
  out.ms = firstIt.timeMs;
  out.nsInMs = firstIt.nsInMs;
}

const first = { ms: 0, nsInMs: 0 };

/** What a chunk is sealed from: an encoder's finished stream and its last instant. */
export interface Sealable {
  readonly seq: number;
  readonly lastTimeMs: number;
  readonly lastNsInMs: number;
  readonly byteLength: number;
  copyTo(dst: Uint8Array, offset: number): number;
}

/** Chunks in the order they were sealed (sequences never decrease along it). */
export class SealedChunks {
  /** ROW numbers per chunk. */
  private readonly rows: Float64Array;
  /** The chunks' streams, one after another. */
  private readonly bytes: Uint8Array;

  private constructor(rows: Float64Array, bytes: Uint8Array) {
    this.rows = rows;
    this.bytes = bytes;
  }

  static readonly EMPTY = new SealedChunks(new Float64Array(0), new Uint8Array(0));

  get length(): number {
    return this.rows.length / ROW;
  }

  seq(i: number): number {
    return this.rows[i * ROW];
  }

  firstMs(i: number): number {
    return this.rows[i * ROW + 1];
  }

  firstNsInMs(i: number): number {
    return this.rows[i * ROW + 2];
  }

  lastMs(i: number): number {
    return this.rows[i * ROW + 3];
  }

  lastNsInMs(i: number): number {
    return this.rows[i * ROW + 4];
  }

  /** Chunk i's stream: a view, never to be written. */
  stream(i: number): Uint8Array {
    const start = i === 0 ? 0 : this.rows[(i - 1) * ROW + 5];
    return this.bytes.subarray(start, this.rows[i * ROW + 5]);
  }

  /** These chunks and then `more`, sealed in the order given (empty ones are left out). */
  with(more: readonly Sealable[]): SealedChunks {
    let n = this.length;
    let size = this.bytes.length;
    for (const e of more) {
      if (e.byteLength === 0) continue;
      n++;
      size += e.byteLength;
    }
    if (n === this.length) return this;
    // One buffer: the rows (8-byte aligned at offset 0), then the streams.
    const buf = new ArrayBuffer(n * ROW * 8 + size);
    const rows = new Float64Array(buf, 0, n * ROW);
    const bytes = new Uint8Array(buf, n * ROW * 8, size);
    rows.set(this.rows);
    bytes.set(this.bytes);
    let r = this.rows.length;
    let end = this.bytes.length;
    for (const e of more) {
      if (e.byteLength === 0) continue;
      const start = end;
      end += e.copyTo(bytes, end);
      firstInstant(bytes.subarray(start, end), first);
      rows[r] = e.seq;
      rows[r + 1] = first.ms;
      rows[r + 2] = first.nsInMs;
      rows[r + 3] = e.lastTimeMs;
      rows[r + 4] = e.lastNsInMs;
      rows[r + 5] = end;
      r += ROW;
    }
    return new SealedChunks(rows, bytes);
  }
}
