// The commit log writer: one node-wide append-only file that every write
// reaches before it is acknowledged, as in M3's
// src/dbnode/persist/fs/commitlog/commit_log.go. Appends encode records
// straight into a pending byte buffer; a flush seals the buffer into one
// checksummed chunk and writes it with one positioned write. Format:
// docs/format/commitlog.md.
//
// What a crash can lose, by strategy:
// - "wait": nothing that commit() acknowledged. commit() resolves only after an
//   fdatasync that covers every record appended before the call. Commits that
//   arrive within flushIntervalMs (default 2 ms) of the first share one write
//   and one fdatasync (group commit); commits that arrive while a write or sync
//   is running are covered by another one that starts as soon as it ends.
// - "behind": commit() resolves at once (unless more than 4 x flushMaxBytes is
//   queued unwritten: then it waits for half to be written), so a crash loses everything appended
//   since the last flush (up to flushIntervalMs, default 1 s, or up to
//   flushMaxBytes of records) plus whatever written data the OS had not yet put
//   on disk: flushes write without fdatasync; only rotate() and close() sync.
//
// All file I/O runs in one async loop (`drain`), one operation at a time and in
// order; appends never wait for it. The first failed write or sync fails the
// log closed: it is never retried, so nothing already on disk is touched again.
import { TextEncoder } from "node:util";
import type { FileSystem } from "../../x/index.js";
import {
  CommitLogClosedError,
  CommitLogQueueFullError,
  CommitLogWriteError,
  InvalidCommitLogEntryError,
} from "./errors.js";
import { scanCommitLogFiles } from "./files.js";
import {
  CHUNK_HEADER_SIZE,
  DATAPOINT_RECORD_MAX_FIXED,
  MAX_NS_IN_MS,
  MAX_SHARD,
  MAX_VARINT_BYTES,
  putVarint,
  RecordType,
  writeChunkHeader,
} from "./format.js";
import { createLogFile, type LogFile } from "./log-file.js";
import { type CommitLogOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { SeriesSeenSet } from "./series-seen-set.js";

/** The identity of a series as the commit log records it, once per file. */
export interface SeriesMetadata {
  /**
   * Unique index of the series for the log's lifetime, 0..2^53-1; datapoints
   * refer to the series by it. One index must always mean one series: the
   * metadata written first in a file is the one replay reports.
   */
  seriesIndex: number;
  namespace: string;
  id: Uint8Array;
  encodedTags: Uint8Array;
  shard: number;
}

const MAX_SPARE_BUFFERS = 4;
const MAX_NAMESPACE_CACHE = 1024;

const OP_CHUNK = 0;
const OP_ROTATE = 1;
const OP_CLOSE = 2;

interface ChunkOp {
  kind: typeof OP_CHUNK;
  buf: Uint8Array;
  len: number;
}

interface ControlOp {
  kind: typeof OP_ROTATE | typeof OP_CLOSE;
  resolve: (path: string) => void;
  reject: (err: unknown) => void;
}

type Op = ChunkOp | ControlOp;

/** Commits waiting for the fdatasync that covers chunk number `target`. */
interface Waiter {
  target: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** The node's commit log: append, then commit() to learn when the appends are acknowledged. */
export class CommitLog {
  /** Bytes written to files, headers included. */
  bytesWritten: number;
  /** fdatasync calls that covered chunk data (header syncs at file creation not counted). */
  syncs: number;
  chunksWritten: number;

  private readonly dir: string;
  private readonly wait: boolean;
  private readonly flushIntervalMs: number;
  private readonly flushMaxBytes: number;
  private readonly maxQueueBytes: number;
  private readonly now: () => number;
  private readonly fs: FileSystem;
  private readonly initialBufferBytes: number;
  /** Buffers up to this size go back to the spare list after their chunk is written. */
  private readonly maxSpareBytes: number;

  private file: LogFile;
  /** Pending records: a chunk header's room at [0, 12), then records up to `pos`. */
  private buf: Uint8Array;
  private dv: DataView;
  private pos: number;
  private spare: Uint8Array[];

  private ops: Op[];
  /** Bytes of sealed chunks not yet written. */
  private queuedBytes: number;
  /** Chunks sealed, written, and covered by an fdatasync, counted since open. */
  private sealedSeq: number;
  private writtenSeq: number;
  private durableSeq: number;
  private waiters: Waiter[];
  /** "behind" commits held back while the queue is above backpressureBytes. */
  private roomWaiters: { resolve: () => void; reject: (err: unknown) => void }[];
  private readonly backpressureBytes: number;
  private running: boolean;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null;
  private readonly onTimer: () => void;

  /** Non-null once the log refuses work: the write failure, or a closed error. */
  private refusal: CommitLogWriteError | CommitLogClosedError | null;
  private failure: CommitLogWriteError | null;
  private closePromise: Promise<void> | null;

  /** Series whose metadata the current file already holds. */
  private readonly seen: SeriesSeenSet;
  private namespaceBytes: Map<string, Uint8Array>;
  private readonly encoder: TextEncoder;

  private constructor(opts: ResolvedOptions, dir: string, file: LogFile) {
    this.bytesWritten = file.pos;
    this.syncs = 0;
    this.chunksWritten = 0;
    this.dir = dir;
    this.wait = opts.strategy === "wait";
    this.flushIntervalMs = opts.flushIntervalMs;
    this.flushMaxBytes = opts.flushMaxBytes;
    this.maxQueueBytes = opts.maxQueueBytes;
    this.now = opts.now;
    this.fs = opts.fs;
    this.initialBufferBytes = Math.min(opts.flushMaxBytes, 65_536) + CHUNK_HEADER_SIZE + 256;
    this.maxSpareBytes = 2 * (opts.flushMaxBytes + CHUNK_HEADER_SIZE + 256);
    this.file = file;
    this.buf = new Uint8Array(this.initialBufferBytes);
    this.dv = new DataView(this.buf.buffer);
    this.pos = CHUNK_HEADER_SIZE;
    this.spare = [];
    this.ops = [];
    this.queuedBytes = 0;
    this.sealedSeq = 0;
    this.writtenSeq = 0;
    this.durableSeq = 0;
    this.waiters = [];
    this.roomWaiters = [];
    // Write-behind acknowledges at once only while the disk keeps up: past
    // this much queued, commits wait until half of it is written, so a fast
    // producer is slowed down before the queue limit refuses its appends.
    this.backpressureBytes = Math.min(
      4 * (opts.flushMaxBytes + CHUNK_HEADER_SIZE),
      opts.maxQueueBytes >>> 1,
    );
    this.running = false;
    this.timer = null;
    this.onTimer = () => {
      this.timer = null;
      this.sealPending();
      this.kick();
    };
    this.refusal = null;
    this.failure = null;
    this.closePromise = null;
    this.seen = new SeriesSeenSet();
    this.namespaceBytes = new Map();
    this.encoder = new TextEncoder();
  }

  /** Opens the log in `options.dir`, starting a new file whose index follows every existing one. */
  static async open(options: CommitLogOptions): Promise<CommitLog> {
    const opts = resolveOptions(options);
    const dir = options.dir;
    try {
      await opts.fs.mkdir(dir, { recursive: true });
    } catch (err) {
      throw new CommitLogWriteError(dir, "mkdir", err);
    }
    let maxIndex: number;
    try {
      maxIndex = (await scanCommitLogFiles(dir, opts.fs)).maxIndex;
    } catch (err) {
      throw new CommitLogWriteError(dir, "list", err);
    }
    const file = await createLogFile(opts.fs, dir, maxIndex + 1, opts.now());
    return new CommitLog(opts, dir, file);
  }

  /** Bytes appended and not yet written to the file: the queue the disk has to catch up with. */
  get pendingBytes(): number {
    return this.queuedBytes + this.pos;
  }

  /** Path of the file being written. */
  get currentPath(): string {
    return this.file.path;
  }

  /** Index of the file being written. */
  get currentIndex(): number {
    return this.file.index;
  }

  /**
   * Appends one datapoint to the pending buffer. The series' metadata is written
   * the first time the series appears in the current file; later entries refer
   * to it by seriesIndex. Throws the log's failure once it has failed or closed.
   */
  append(
    series: SeriesMetadata,
    timeMs: number,
    nsInMs: number,
    value: number,
    unit: number,
    annotation: Uint8Array | null,
  ): void {
    if (this.refusal !== null) throw this.refusal;
    const seriesIndex = series.seriesIndex;
    if (!(Number.isSafeInteger(seriesIndex) && seriesIndex >= 0)) {
      throw new InvalidCommitLogEntryError("seriesIndex", seriesIndex, "an integer in 0..2^53-1");
    }
    if (!Number.isSafeInteger(timeMs)) {
      throw new InvalidCommitLogEntryError("timeMs", timeMs, "an integer number of epoch ms");
    }
    if (!(nsInMs >>> 0 === nsInMs && nsInMs <= MAX_NS_IN_MS)) {
      throw new InvalidCommitLogEntryError("nsInMs", nsInMs, "an integer in 0..999999");
    }
    if ((unit & 0xff) !== unit) {
      throw new InvalidCommitLogEntryError("unit", unit, "an integer in 0..255");
    }
    const annLength = annotation === null ? 0 : annotation.length;
    if (this.queuedBytes + this.pos > this.maxQueueBytes) {
      throw new CommitLogQueueFullError(this.queuedBytes + this.pos, this.maxQueueBytes);
    }

    if (!this.seen.has(seriesIndex)) {
      this.appendMetadata(series);
      this.seen.add(seriesIndex);
    }

    // Datapoint record (docs/format/commitlog.md, "Datapoint").
    const start = this.reserve(DATAPOINT_RECORD_MAX_FIXED + annLength);
    const buf = this.buf;
    const dv = this.dv;
    let p = start;
    buf[p++] = RecordType.Datapoint;
    p = putVarint(buf, p, seriesIndex);
    dv.setFloat64(p, timeMs, true);
    p = putVarint(buf, p + 8, nsInMs);
    // setFloat64 stores the number's bits as they are, so NaN payloads (the
    // Prometheus stale marker) reach the file unchanged.
    dv.setFloat64(p, value, true);
    p += 8;
    buf[p++] = unit;
    p = putVarint(buf, p, annLength);
    if (annotation !== null && annLength > 0) {
      buf.set(annotation, p);
      p += annLength;
    }
    this.pos = p;
    this.endRecord(start);
    if (this.timer === null && !this.wait) this.armTimer();
  }

  /**
   * Resolves when everything appended before the call is acknowledged under the
   * strategy ("wait": written and fdatasync'ed; "behind": at once, or once the
   * queue is back under its backpressure mark). Rejects with
   * the log's CommitLogWriteError once a write or sync has failed.
   */
  commit(): Promise<void> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    if (!this.wait) {
      if (this.queuedBytes + this.pos <= this.backpressureBytes) return RESOLVED;
      this.sealPending();
      this.kick();
      return new Promise<void>((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
    }
    const target = this.sealedSeq + (this.pos > CHUNK_HEADER_SIZE ? 1 : 0);
    if (target <= this.durableSeq) return RESOLVED;
    const last = this.waiters[this.waiters.length - 1];
    if (last !== undefined && last.target === target) return last.promise;
    let resolve: () => void = noop;
    let reject: (err: unknown) => void = noop;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.waiters.push({ target, promise, resolve, reject });
    // While I/O runs, the loop picks new waiters up as soon as it finishes;
    // otherwise the first commit opens the group-commit window.
    if (!this.running && this.timer === null) this.armTimer();
    return promise;
  }

  /** Flushes and syncs the current file, then starts the next index. Resolves with the closed file's path. */
  rotate(): Promise<string> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    this.sealPending();
    // Appends from here on go to the next file, which needs its own metadata records.
    this.seen.clear();
    const promise = new Promise<string>((resolve, reject) => {
      this.ops.push({ kind: OP_ROTATE, resolve, reject });
    });
    this.kick();
    return promise;
  }

  /** Flushes, syncs and closes the file. Later appends and commits throw CommitLogClosedError. */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    if (this.failure !== null) {
      this.closePromise = Promise.reject(this.failure);
      return this.closePromise;
    }
    this.refusal = new CommitLogClosedError(this.file.path);
    this.clearTimer();
    this.sealPending();
    this.closePromise = new Promise<string>((resolve, reject) => {
      this.ops.push({ kind: OP_CLOSE, resolve, reject });
      this.kick();
    }).then(noop);
    return this.closePromise;
  }

  // --- records -------------------------------------------------------------

  private appendMetadata(series: SeriesMetadata): void {
    const shard = series.shard;
    if (!(Number.isInteger(shard) && shard >= 0 && shard <= MAX_SHARD)) {
      throw new InvalidCommitLogEntryError("shard", shard, `an integer in 0..${MAX_SHARD}`);
    }
    const ns = this.namespaceUtf8(series.namespace);
    const id = series.id;
    const tags = series.encodedTags;
    const start = this.reserve(
      1 + 2 * MAX_VARINT_BYTES + 3 * MAX_VARINT_BYTES + ns.length + id.length + tags.length,
    );
    const buf = this.buf;
    let p = start;
    buf[p++] = RecordType.SeriesMetadata;
    p = putVarint(buf, p, series.seriesIndex);
    p = putVarint(buf, p, shard);
    p = putVarint(buf, p, ns.length);
    buf.set(ns, p);
    p = putVarint(buf, p + ns.length, id.length);
    buf.set(id, p);
    p = putVarint(buf, p + id.length, tags.length);
    buf.set(tags, p);
    this.pos = p + tags.length;
    this.endRecord(start);
  }

  private namespaceUtf8(namespace: string): Uint8Array {
    let bytes = this.namespaceBytes.get(namespace);
    if (bytes === undefined) {
      if (this.namespaceBytes.size >= MAX_NAMESPACE_CACHE) this.namespaceBytes.clear();
      bytes = this.encoder.encode(namespace);
      this.namespaceBytes.set(namespace, bytes);
    }
    return bytes;
  }

  /** Makes room for a record of at most `maxBytes` at `pos` and returns `pos`. */
  private reserve(maxBytes: number): number {
    if (this.pos + maxBytes > this.buf.length) this.grow(this.pos + maxBytes);
    return this.pos;
  }

  private grow(minBytes: number): void {
    let size = this.buf.length * 2;
    while (size < minBytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.setBuffer(next);
  }

  private setBuffer(buf: Uint8Array): void {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * Keeps records whole within chunks: a record that took the pending payload
   * past flushMaxBytes moves to a fresh chunk, and a payload that has reached
   * flushMaxBytes is sealed and written (a lone larger record gets its own chunk).
   */
  private endRecord(start: number): void {
    const payloadBytes = this.pos - CHUNK_HEADER_SIZE;
    if (payloadBytes < this.flushMaxBytes) return;
    if (payloadBytes > this.flushMaxBytes && start > CHUNK_HEADER_SIZE) {
      const old = this.buf;
      const end = this.pos;
      this.pos = start;
      this.sealPending();
      this.kick();
      // `old` now belongs to a queued chunk, whose write covers only [0, start):
      // the record's bytes after it stay untouched until that write is done.
      const length = end - start;
      this.reserve(length);
      this.buf.set(old.subarray(start, end), CHUNK_HEADER_SIZE);
      this.pos = CHUNK_HEADER_SIZE + length;
      if (length < this.flushMaxBytes) return;
    }
    this.flushFull();
  }

  private flushFull(): void {
    this.sealPending();
    this.kick();
  }

  /** Turns the pending records into a queued chunk and starts a fresh pending buffer. */
  private sealPending(): void {
    const len = this.pos;
    if (len === CHUNK_HEADER_SIZE) return;
    writeChunkHeader(this.buf, len - CHUNK_HEADER_SIZE);
    this.ops.push({ kind: OP_CHUNK, buf: this.buf, len });
    this.queuedBytes += len;
    this.sealedSeq++;
    this.setBuffer(this.spare.pop() ?? new Uint8Array(this.initialBufferBytes));
    this.pos = CHUNK_HEADER_SIZE;
  }

  // --- the I/O loop --------------------------------------------------------------

  private armTimer(): void {
    // A zero window means "next turn of the event loop", not a 1 ms timer.
    this.timer =
      this.flushIntervalMs === 0
        ? setImmediate(this.onTimer)
        : setTimeout(this.onTimer, this.flushIntervalMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      if (this.flushIntervalMs === 0) clearImmediate(this.timer as ReturnType<typeof setImmediate>);
      else clearTimeout(this.timer as ReturnType<typeof setTimeout>);
      this.timer = null;
    }
  }

  private kick(): void {
    if (this.running || this.failure !== null) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const op = this.ops.shift();
        if (op !== undefined) {
          if (op.kind === OP_CHUNK) await this.writeChunk(op);
          else await this.runControl(op);
          continue;
        }
        if (this.wait && this.writtenSeq > this.durableSeq) {
          await this.syncFile();
          continue;
        }
        // Commits that arrived during the last write or sync: cover them now.
        const last = this.waiters[this.waiters.length - 1];
        if (last !== undefined && last.target > this.durableSeq && this.pos > CHUNK_HEADER_SIZE) {
          this.sealPending();
          continue;
        }
        break;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.running = false;
    }
    if (
      this.refusal === null &&
      !this.wait &&
      this.pos > CHUNK_HEADER_SIZE &&
      this.timer === null
    ) {
      this.armTimer();
    }
  }

  private async writeChunk(op: ChunkOp): Promise<void> {
    const file = this.file;
    let done = 0;
    try {
      while (done < op.len) {
        const { bytesWritten } = await file.fh.write(op.buf, done, op.len - done, file.pos + done);
        if (bytesWritten <= 0) throw new Error(`short write: ${done} of ${op.len} bytes`);
        done += bytesWritten;
      }
    } catch (err) {
      throw new CommitLogWriteError(file.path, "write", err);
    }
    file.pos += op.len;
    file.dirty = true;
    this.queuedBytes -= op.len;
    if (this.roomWaiters.length > 0 && this.queuedBytes <= this.backpressureBytes >>> 1) {
      for (const w of this.roomWaiters) w.resolve();
      this.roomWaiters = [];
    }
    this.writtenSeq++;
    this.bytesWritten += op.len;
    this.chunksWritten++;
    if (this.spare.length < MAX_SPARE_BUFFERS && op.buf.length <= this.maxSpareBytes) {
      this.spare.push(op.buf);
    }
  }

  /** fdatasyncs the current file, then acknowledges every commit the written chunks cover. */
  private async syncFile(): Promise<void> {
    const file = this.file;
    const covered = this.writtenSeq;
    if (file.dirty) {
      try {
        await file.fh.datasync();
      } catch (err) {
        throw new CommitLogWriteError(file.path, "sync", err);
      }
      file.dirty = false;
      this.syncs++;
    }
    this.durableSeq = covered;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n].target <= covered)
      this.waiters[n++].resolve();
    if (n > 0) this.waiters.splice(0, n);
  }

  private async runControl(op: ControlOp): Promise<void> {
    try {
      await this.syncFile();
      const old = this.file;
      try {
        await old.fh.close();
      } catch (err) {
        throw new CommitLogWriteError(old.path, "close", err);
      }
      if (op.kind === OP_ROTATE) {
        this.file = await createLogFile(this.fs, this.dir, old.index + 1, this.now());
        this.bytesWritten += this.file.pos;
      }
      op.resolve(old.path);
    } catch (err) {
      op.reject(err);
      throw err;
    }
  }

  /** Fails the log closed: every waiting and later operation gets the same error. */
  private fail(err: unknown): void {
    const failure =
      err instanceof CommitLogWriteError
        ? err
        : new CommitLogWriteError(this.file.path, "write", err);
    this.failure = failure;
    this.refusal = failure;
    this.clearTimer();
    for (const w of this.waiters) w.reject(failure);
    this.waiters = [];
    for (const w of this.roomWaiters) w.reject(failure);
    this.roomWaiters = [];
    for (const op of this.ops) if (op.kind !== OP_CHUNK) op.reject(failure);
    this.ops = [];
    this.queuedBytes = 0;
    // Release the descriptor; the file keeps whatever was written before the failure.
    this.file.fh.close().catch(noop);
  }
}

function noop(): void {}
