// Writes one complete fileset volume in the order of M3's
// src/dbnode/persist/fs/write.go: the data file streamed as entries arrive,
// then the index, summaries and bloom filter from the entries sorted by ID,
// then info, digest and, last, the checkpoint.
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { FileHandle, FileSystem } from "../../x/index.js";
import { BloomFilter, bloomParams } from "./bloom-filter.js";
import {
  DuplicateSeriesIdError,
  InvalidVolumeInputError,
  VolumeWriteError,
  type VolumeWriteOp,
} from "./errors.js";
import {
  CHECKPOINT_FILE_SIZE,
  compareBytes,
  DIGEST_FILE_SIZE,
  encodeInfo,
  entryMaxSize,
  FILE_TYPES,
  type FileType,
  FORMAT_VERSION,
  fileName,
  kindDir,
  MAX_VARINT_BYTES,
  putEntry,
  putSummary,
  putU32,
  TEMP_SUFFIX,
  type VolumeInfo,
  type VolumeKind,
} from "./format.js";

/** Names one volume of one namespace/shard/block. */
export interface VolumeId {
  namespace: string;
  shard: number;
  blockStartMs: number;
  volume: number;
}

/** One series of a volume: its ID, its encoded tags and one M3TSZ stream. */
export interface VolumeEntry {
  id: Uint8Array;
  encodedTags: Uint8Array;
  stream: Uint8Array;
}

export interface WriteVolumeOptions {
  /** Fraction of entries that get a summary (M3's default 0.03: about every 33rd). */
  summariesPercent?: number;
  /** Bloom filter false-positive rate (M3's default 0.02). */
  bloomFalsePositive?: number;
  /** For snapshots: when the snapshot was taken, epoch ms (0 for flushes). */
  snapshotTimeMs?: number;
  /** Where the files go (default: the machine's file system). */
  fs: FileSystem;
}

export const DEFAULT_SUMMARIES_PERCENT = 0.03;
export const DEFAULT_BLOOM_FALSE_POSITIVE = 0.02;
/** Write buffer of the data and index files (M3's writer buffer size). */
const WRITE_BUFFER_BYTES = 65536;
/** Bloom filters address bits with 32-bit arithmetic. */
const MAX_BLOOM_BITS = 2 ** 32 - 1;

/** The directory holding a namespace/shard's volumes of a kind. */
export function shardDir(root: string, kind: VolumeKind, namespace: string, shard: number): string {
  return join(root, kindDir(kind), namespace, String(shard));
}

/** Path of one file of a volume. */
export function volumeFilePath(
  root: string,
  kind: VolumeKind,
  id: VolumeId,
  type: FileType,
): string {
  return join(
    shardDir(root, kind, id.namespace, id.shard),
    fileName(id.blockStartMs, id.volume, type),
  );
}

export function checkVolumeId(id: VolumeId): void {
  if (id.namespace === "" || /[/\\]/.test(id.namespace) || id.namespace.startsWith(".")) {
    throw new InvalidVolumeInputError(
      "namespace",
      `${JSON.stringify(id.namespace)} must be a non-empty name without slashes or a leading dot`,
    );
  }
  if (!Number.isSafeInteger(id.shard) || id.shard < 0) {
    throw new InvalidVolumeInputError("shard", `${id.shard} must be an integer >= 0`);
  }
  if (!Number.isSafeInteger(id.blockStartMs)) {
    throw new InvalidVolumeInputError("blockStartMs", `${id.blockStartMs} must be an integer`);
  }
  if (!Number.isSafeInteger(id.volume) || id.volume < 0) {
    throw new InvalidVolumeInputError("volume", `${id.volume} must be an integer >= 0`);
  }
}

/** Runs one file operation, turning its failure into a VolumeWriteError naming the path. */
export async function io<T>(path: string, op: VolumeWriteOp, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VolumeWriteError) throw err;
    throw new VolumeWriteError(path, op, err);
  }
}

/** A file written through one buffer, with a running crc32, under a temp name. */
class BufferedFile {
  private readonly fs: FileSystem;
  readonly path: string;
  readonly tempPath: string;
  private fh: FileHandle | null = null;
  private readonly buf: Uint8Array;
  private used = 0;
  /** Bytes written so far (buffered included). */
  size = 0;
  crc = 0;

  constructor(fs: FileSystem, path: string, bufferBytes: number) {
    this.fs = fs;
    this.path = path;
    this.tempPath = path + TEMP_SUFFIX;
    this.buf = new Uint8Array(bufferBytes);
  }

  async open(): Promise<void> {
    this.fh = await io(this.tempPath, "open", () => this.fs.open(this.tempPath, "w"));
  }

  /** True when `n` more bytes fit in the buffer without a flush. */
  fits(n: number): boolean {
    return this.used + n <= this.buf.length;
  }

  /** Offset in `buffer` where the next bytes go (after checking fits). */
  get end(): number {
    return this.used;
  }

  /** Marks the bytes the caller wrote into `buffer`, from the old `end` up to `end`, as used. */
  commit(end: number): void {
    this.size += end - this.used;
    this.used = end;
  }

  get buffer(): Uint8Array {
    return this.buf;
  }

  /** Copies `bytes` into the buffer if they fit without a flush; false otherwise (call write). */
  tryBuffer(bytes: Uint8Array): boolean {
    if (this.used + bytes.length > this.buf.length) return false;
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
    this.size += bytes.length;
    return true;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.tryBuffer(bytes)) return;
    await this.flush();
    if (this.tryBuffer(bytes)) return;
    // Larger than the buffer: straight to the file.
    await this.writeRaw(bytes);
    this.crc = crc32(bytes, this.crc);
    this.size += bytes.length;
  }

  /** Writes out the buffer; the file's crc32 is taken here, one call per buffer, not per entry. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const pending = this.buf.subarray(0, this.used);
    this.crc = crc32(pending, this.crc);
    await this.writeRaw(pending);
    this.used = 0;
  }

  private async writeRaw(bytes: Uint8Array): Promise<void> {
    const fh = this.fh;
    if (fh === null) throw new Error(`assertion: ${this.tempPath} is not open`);
    await io(this.tempPath, "write", async () => {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
    });
  }

  /** Flushes, fsyncs, closes and renames the file into place. */
  async finish(): Promise<void> {
    await this.flush();
    const fh = this.fh;
    if (fh === null) throw new Error(`assertion: ${this.tempPath} is not open`);
    await io(this.tempPath, "sync", () => fh.sync());
    this.fh = null;
    await io(this.tempPath, "close", () => fh.close());
    await io(this.tempPath, "rename", () => this.fs.rename(this.tempPath, this.path));
  }

  /** Closes the handle, if open, without raising (cleanup after another failure). */
  async abandon(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh !== null) await fh.close().catch(() => undefined);
  }
}

/** Writes `bytes` to `path` via temp file, fsync and rename. */
export async function writeWholeFile(
  fs: FileSystem,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const f = new BufferedFile(fs, path, 0);
  await f.open();
  try {
    await f.write(bytes);
    await f.finish();
  } finally {
    await f.abandon();
  }
}

/** fsyncs a directory, making the renames in it durable. */
export async function syncDir(fs: FileSystem, dir: string): Promise<void> {
  await io(dir, "sync", () => fs.syncDir(dir));
}

/** Deletes a file; a missing one is fine. */
export async function unlinkIfPresent(fs: FileSystem, path: string): Promise<void> {
  await io(path, "unlink", async () => {
    try {
      await fs.unlink(path);
    } catch (err) {
      if ((err as { code?: unknown }).code !== "ENOENT") throw err;
    }
  });
}

/**
 * Writes a complete volume: entries sorted by ID bytewise (duplicate IDs
 * raise DuplicateSeriesIdError), zero-length streams skipped. Every file
 * goes through temp name, fsync, rename; the directory is synced and the
 * checkpoint comes last, so a crash never leaves a volume that looks
 * complete. Entries' id and encodedTags arrays must not change until the
 * returned promise settles (they are kept by reference, not copied).
 */
export async function writeVolume(
  root: string,
  kind: VolumeKind,
  id: VolumeId,
  blockSizeMs: number,
  entries: Iterable<VolumeEntry> | AsyncIterable<VolumeEntry>,
  options: WriteVolumeOptions,
): Promise<VolumeInfo> {
  checkVolumeId(id);
  if (!Number.isSafeInteger(blockSizeMs) || blockSizeMs <= 0) {
    throw new InvalidVolumeInputError("blockSizeMs", `${blockSizeMs} must be an integer > 0`);
  }
  const summariesPercent = options.summariesPercent ?? DEFAULT_SUMMARIES_PERCENT;
  if (!(summariesPercent > 0 && summariesPercent <= 1)) {
    throw new InvalidVolumeInputError("summariesPercent", `${summariesPercent} must be in (0, 1]`);
  }
  const falsePositive = options.bloomFalsePositive ?? DEFAULT_BLOOM_FALSE_POSITIVE;
  if (!(falsePositive > 0 && falsePositive < 1)) {
    throw new InvalidVolumeInputError("bloomFalsePositive", `${falsePositive} must be in (0, 1)`);
  }
  const snapshotTimeMs = options.snapshotTimeMs ?? 0;
  if (!Number.isSafeInteger(snapshotTimeMs)) {
    throw new InvalidVolumeInputError("snapshotTimeMs", `${snapshotTimeMs} must be an integer`);
  }

  const fs = options.fs;
  const dir = shardDir(root, kind, id.namespace, id.shard);
  const path = (type: FileType) => join(dir, fileName(id.blockStartMs, id.volume, type));
  await io(dir, "mkdir", () => fs.mkdir(dir, { recursive: true }));
  // Rewriting a volume: it must stop counting as complete before any file changes.
  await unlinkIfPresent(fs, path("checkpoint"));

  const data = new BufferedFile(fs, path("data"), WRITE_BUFFER_BYTES);
  const index = new BufferedFile(fs, path("index"), WRITE_BUFFER_BYTES);
  try {
    // Data file first, in arrival order; per entry keep only small records.
    await data.open();
    const ids: Uint8Array[] = [];
    const tags: Uint8Array[] = [];
    let offsets = new Float64Array(1024);
    let sizes = new Float64Array(1024);
    let crcs = new Uint32Array(1024);
    let n = 0;
    const add = (e: VolumeEntry): boolean => {
      if (e.stream.length === 0) return true;
      if (e.id.length === 0) throw new InvalidVolumeInputError("id", "a series ID is empty");
      if (n === offsets.length) {
        offsets = grow(offsets, new Float64Array(n * 2));
        sizes = grow(sizes, new Float64Array(n * 2));
        crcs = grow(crcs, new Uint32Array(n * 2));
      }
      ids.push(e.id);
      tags.push(e.encodedTags);
      offsets[n] = data.size;
      sizes[n] = e.stream.length;
      crcs[n] = crc32(e.stream);
      n++;
      return data.tryBuffer(e.stream);
    };
    // A sync source stays on a sync loop: only a full buffer costs an await.
    if (Symbol.iterator in entries) {
      for (const e of entries) {
        if (!add(e)) await data.write(e.stream);
      }
    } else {
      for await (const e of entries) {
        if (!add(e)) await data.write(e.stream);
      }
    }

    // Sort small ordinals by ID, not the entries themselves.
    const order = sortById(ids, n);
    for (let i = 1; i < n; i++) {
      if (compareBytes(ids[order[i - 1]], ids[order[i]]) === 0) {
        throw new DuplicateSeriesIdError(id, ids[order[i]]);
      }
    }
    await data.finish();

    // Index, summaries and bloom filter, in ID order.
    const summaryEvery = Math.max(1, Math.floor(1 / summariesPercent));
    const { m, k } = bloomParams(n, falsePositive);
    if (m > MAX_BLOOM_BITS) {
      throw new InvalidVolumeInputError(
        "entries",
        `${n} entries need a ${m}-bit bloom filter; at most ${MAX_BLOOM_BITS} bits are supported`,
      );
    }
    const bloom = new BloomFilter(m, k);
    let summaryBytes = 0;
    for (let i = 0; i < n; i += summaryEvery) {
      summaryBytes += 3 * MAX_VARINT_BYTES + ids[order[i]].length;
    }
    const summaries = new Uint8Array(summaryBytes);
    let summariesEnd = 0;
    let summaryCount = 0;
    await index.open();
    for (let i = 0; i < n; i++) {
      const r = order[i];
      const entryId = ids[r];
      bloom.add(entryId);
      if (i % summaryEvery === 0) {
        summariesEnd = putSummary(summaries, summariesEnd, i, entryId, index.size);
        summaryCount++;
      }
      const max = entryMaxSize(entryId.length, tags[r].length);
      if (max > WRITE_BUFFER_BYTES) {
        const one = new Uint8Array(max);
        const end = putEntry(one, 0, i, entryId, tags[r], offsets[r], sizes[r], crcs[r], crc32);
        await index.write(one.subarray(0, end));
      } else {
        if (!index.fits(max)) await index.flush();
        const at = index.end;
        const end = putEntry(
          index.buffer,
          at,
          i,
          entryId,
          tags[r],
          offsets[r],
          sizes[r],
          crcs[r],
          crc32,
        );
        index.commit(end);
      }
    }
    await index.finish();

    const info: VolumeInfo = {
      blockStartMs: id.blockStartMs,
      blockSizeMs,
      entries: n,
      summaries: summaryCount,
      bloomM: m,
      bloomK: k,
      version: FORMAT_VERSION,
      snapshotTimeMs,
    };
    const infoBytes = encodeInfo(info, crc32);
    const summaryFile = summaries.subarray(0, summariesEnd);
    await writeWholeFile(fs, path("info"), infoBytes);
    await writeWholeFile(fs, path("summaries"), summaryFile);
    await writeWholeFile(fs, path("bloomfilter"), bloom.bits);

    const digest = new Uint8Array(DIGEST_FILE_SIZE);
    putU32(digest, 0, crc32(infoBytes));
    putU32(digest, 4, index.crc);
    putU32(digest, 8, crc32(summaryFile));
    putU32(digest, 12, crc32(bloom.bits));
    putU32(digest, 16, data.crc);
    await writeWholeFile(fs, path("digest"), digest);
    // Every other file is in place and synced before the checkpoint can exist.
    await syncDir(fs, dir);
    const checkpoint = new Uint8Array(CHECKPOINT_FILE_SIZE);
    putU32(checkpoint, 0, crc32(digest));
    await writeWholeFile(fs, path("checkpoint"), checkpoint);
    await syncDir(fs, dir);
    return info;
  } catch (err) {
    await data.abandon();
    await index.abandon();
    // Leave no temp file behind; finished files without a checkpoint are an
    // incomplete volume that removeIncompleteVolumes clears.
    for (const type of FILE_TYPES) {
      await fs.unlink(path(type) + TEMP_SUFFIX).catch(() => undefined);
    }
    throw err;
  }
}

/** Bytes of the numeric sort key taken after the common prefix (48 bits: exact in a double). */
const SORT_KEY_BYTES = 6;

/**
 * Ordinals 0..n-1 in bytewise ID order. Series IDs of one shard share long
 * prefixes (`{__name__="...`), so the sort skips the prefix all IDs share
 * and first compares the next six bytes as one number; only ties compare
 * bytes. About twice as fast as comparing whole IDs for 200k Prometheus IDs.
 */
function sortById(ids: readonly Uint8Array[], n: number): Uint32Array {
  let lcp = n > 0 ? ids[0].length : 0;
  for (let i = 1; i < n && lcp > 0; i++) {
    const id = ids[i];
    const max = Math.min(lcp, id.length);
    let j = 0;
    while (j < max && id[j] === ids[0][j]) j++;
    lcp = j;
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    let key = 0;
    for (let j = lcp; j < lcp + SORT_KEY_BYTES; j++) key = key * 256 + (j < id.length ? id[j] : 0);
    keys[i] = key;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Missing bytes count as 0 in a key, so equal keys may still differ (in
  // length or in a 0 byte): they fall back to comparing from the prefix on.
  order.sort((a, b) => keys[a] - keys[b] || compareFrom(ids[a], ids[b], lcp));
  return order;
}

function compareFrom(a: Uint8Array, b: Uint8Array, start: number): number {
  const n = Math.min(a.length, b.length);
  for (let i = start; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function grow<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
