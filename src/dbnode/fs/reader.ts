// Opens a complete volume, as M3's src/dbnode/persist/fs/read.go does: checks
// the checkpoint against the digest file and every file against its digest,
// loads info, summaries and the bloom filter, and reads the index and data
// files on demand.
import { crc32 } from "node:zlib";
import type { FileHandle, FileSystem } from "../../x/index.js";
import { BloomFilter, bloomBytes } from "./bloom-filter.js";
import { VolumeClosedError, VolumeCorruptError, VolumeMissingError } from "./errors.js";
import {
  CHECKPOINT_FILE_SIZE,
  compareBytes,
  compareRange,
  DIGEST_FILE_SIZE,
  DIGESTED_FILES,
  decodeInfo,
  type FileType,
  getU32,
  hex32,
  type IndexEntry,
  NEED_MORE,
  readEntry,
  readUvarint,
  type VolumeInfo,
  type VolumeKind,
  varint,
} from "./format.js";
import { FileHandlePool } from "./handle-pool.js";
import { checkVolumeId, type VolumeEntry, type VolumeId, volumeFilePath } from "./writer.js";

/** Chunk size of sequential reads (checksums at open, entries()). */
const READ_CHUNK_BYTES = 65536;
/** Streams entries() reads at once (bounds the memory held ahead of the consumer). */
const ENTRIES_BATCH = 64;

/** Opens a complete volume, verifying its checkpoint and every file's digest. */
export async function openVolume(
  root: string,
  kind: VolumeKind,
  id: VolumeId,
  /** A shared pool of handles, or the file system to open a private one on. */
  from: FileHandlePool | FileSystem,
): Promise<VolumeReader> {
  checkVolumeId(id);
  const fs = from instanceof FileHandlePool ? from.fs : from;
  const vol = { ...id };
  const path = (type: FileType) => volumeFilePath(root, kind, vol, type);
  const corrupt = (file: FileType, reason: string) => new VolumeCorruptError(vol, file, reason);

  const checkpoint = await readSmall(fs, path("checkpoint"), vol, true);
  if (checkpoint.length !== CHECKPOINT_FILE_SIZE) {
    throw corrupt("checkpoint", `length ${checkpoint.length}, expected ${CHECKPOINT_FILE_SIZE}`);
  }
  const digest = await readSmall(fs, path("digest"), vol, false);
  if (digest.length !== DIGEST_FILE_SIZE) {
    throw corrupt("digest", `length ${digest.length}, expected ${DIGEST_FILE_SIZE}`);
  }
  const digestCrc = crc32(digest);
  if (digestCrc !== getU32(checkpoint, 0)) {
    throw corrupt(
      "checkpoint",
      `holds ${hex32(getU32(checkpoint, 0))} but the digest file's crc32 is ${hex32(digestCrc)}`,
    );
  }
  const expect = (file: (typeof DIGESTED_FILES)[number]) =>
    getU32(digest, 4 * DIGESTED_FILES.indexOf(file));
  const checkCrc = (file: (typeof DIGESTED_FILES)[number], got: number) => {
    if (got !== expect(file)) {
      throw corrupt(file, `crc32 ${hex32(got)} does not match digest ${hex32(expect(file))}`);
    }
  };

  const infoBytes = await readSmall(fs, path("info"), vol, false);
  checkCrc("info", crc32(infoBytes));
  const info = decodeInfo(infoBytes, crc32);
  if (typeof info === "string") throw corrupt("info", info);
  if (info.blockStartMs !== id.blockStartMs) {
    throw corrupt("info", `block start ${info.blockStartMs} does not match the file name`);
  }

  const summaryBytes = await readSmall(fs, path("summaries"), vol, false);
  checkCrc("summaries", crc32(summaryBytes));
  const summaries = parseSummaries(summaryBytes, info.summaries);
  if (typeof summaries === "string") throw corrupt("summaries", summaries);

  const bloomBits = await readSmall(fs, path("bloomfilter"), vol, false);
  checkCrc("bloomfilter", crc32(bloomBits));
  if (bloomBits.length !== bloomBytes(info.bloomM)) {
    throw corrupt("bloomfilter", `length ${bloomBits.length}, expected ${bloomBytes(info.bloomM)}`);
  }

  const ownPool = !(from instanceof FileHandlePool);
  const pool = ownPool ? new FileHandlePool(2, fs) : from;
  const reader = new VolumeReader(
    vol,
    info,
    path("index"),
    path("data"),
    summaries,
    new BloomFilter(info.bloomM, info.bloomK, bloomBits),
    pool,
    ownPool,
  );
  try {
    const indexSize = await reader.checkFile("index", expect("index"));
    reader.indexSize = indexSize;
    await reader.checkFile("data", expect("data"));
    // Summaries must point into the index: the first at 0, all before its end.
    const n = summaries.indexOffset.length;
    if (n !== 0 && (summaries.indexOffset[0] !== 0 || summaries.indexOffset[n - 1] >= indexSize)) {
      throw corrupt("summaries", `index offsets do not fit an index file of ${indexSize} bytes`);
    }
    if ((n === 0) !== (info.entries === 0) || n > info.entries) {
      throw corrupt("summaries", `${n} summaries for ${info.entries} entries`);
    }
  } catch (err) {
    await reader.close();
    throw err;
  }
  return reader;
}

async function readSmall(
  fs: FileSystem,
  path: string,
  vol: VolumeId,
  isCheckpoint: boolean,
): Promise<Uint8Array> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") {
      if (isCheckpoint) throw new VolumeMissingError(vol, path);
      const file = path.slice(path.lastIndexOf("-") + 1, -".db".length);
      throw new VolumeCorruptError(vol, file, `missing (${path})`);
    }
    throw err;
  }
}

/** The in-memory summaries: ids as views into one buffer, offsets in typed arrays. */
interface Summaries {
  bytes: Uint8Array;
  idStart: Uint32Array;
  idEnd: Uint32Array;
  indexOffset: Float64Array;
}

function parseSummaries(bytes: Uint8Array, count: number): Summaries | string {
  const s: Summaries = {
    bytes,
    idStart: new Uint32Array(count),
    idEnd: new Uint32Array(count),
    indexOffset: new Float64Array(count),
  };
  let off = 0;
  for (let i = 0; i < count; i++) {
    readUvarint(bytes, off, bytes.length);
    if (varint.off < 0) return `summary ${i}: bad ordinal`;
    readUvarint(bytes, varint.off, bytes.length);
    if (varint.off < 0 || varint.off + varint.value > bytes.length) {
      return `summary ${i}: bad id length`;
    }
    s.idStart[i] = varint.off;
    s.idEnd[i] = varint.off + varint.value;
    readUvarint(bytes, s.idEnd[i], bytes.length);
    if (varint.off < 0) return `summary ${i}: bad index offset`;
    s.indexOffset[i] = varint.value;
    if (i > 0 && s.indexOffset[i] <= s.indexOffset[i - 1]) {
      return `summary ${i}: index offset ${s.indexOffset[i]} does not grow`;
    }
    off = varint.off;
  }
  if (off !== bytes.length) return `${bytes.length - off} trailing bytes after ${count} summaries`;
  return s;
}

/** Reads exactly `length` bytes at `position`; false when the file ends first. */
export async function readFully(
  fh: FileHandle,
  buf: Uint8Array,
  length: number,
  position: number,
): Promise<boolean> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) return false;
    got += bytesRead;
  }
  return true;
}

/** Index entries read together (data offsets, sizes and checksums beside IDs and tags). */
interface IndexBatch {
  ids: Uint8Array[];
  tags: Uint8Array[];
  offsets: number[];
  sizes: number[];
  crcs: number[];
}

function newBatch(): IndexBatch {
  return { ids: [], tags: [], offsets: [], sizes: [], crcs: [] };
}

/** A complete, verified volume: info, summaries and bloom filter in memory; index and data on disk. */
export class VolumeReader {
  readonly info: VolumeInfo;
  readonly id: VolumeId;
  /** Positioned reads of the index file by read() (misses the bloom filter rejects make none). */
  indexReads = 0;
  /** Positioned reads of the data file by read(). */
  dataReads = 0;
  /** Index file size, known after open. */
  indexSize = 0;
  private readonly indexPath: string;
  private readonly dataPath: string;
  private readonly summaries: Summaries;
  private readonly bloom: BloomFilter;
  private readonly pool: FileHandlePool;
  private readonly ownPool: boolean;
  private readonly entry: IndexEntry = {
    ordinal: 0,
    id: new Uint8Array(0),
    tags: new Uint8Array(0),
    dataOffset: 0,
    dataSize: 0,
    streamCrc: 0,
    end: 0,
  };
  private closed = false;

  constructor(
    id: VolumeId,
    info: VolumeInfo,
    indexPath: string,
    dataPath: string,
    summaries: Summaries,
    bloom: BloomFilter,
    pool: FileHandlePool,
    ownPool: boolean,
  ) {
    this.id = id;
    this.info = info;
    this.indexPath = indexPath;
    this.dataPath = dataPath;
    this.summaries = summaries;
    this.bloom = bloom;
    this.pool = pool;
    this.ownPool = ownPool;
  }

  /** Streams a whole file through crc32 and compares with its digest; returns its size. */
  async checkFile(file: "index" | "data", want: number): Promise<number> {
    const path = file === "index" ? this.indexPath : this.dataPath;
    return this.pool.use(path, async (fh) => {
      const buf = new Uint8Array(READ_CHUNK_BYTES);
      let crc = 0;
      let pos = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        crc = crc32(buf.subarray(0, bytesRead), crc);
        pos += bytesRead;
      }
      if (crc !== want) {
        throw this.corrupt(file, `crc32 ${hex32(crc)} does not match digest ${hex32(want)}`);
      }
      return pos;
    });
  }

  /** One series' stream, or null when the volume does not hold it. */
  async read(id: Uint8Array): Promise<Uint8Array | null> {
    this.checkOpen();
    if (!this.bloom.mayContain(id)) return null;
    const s = this.summaries;
    // The last summary whose id <= the wanted one starts the run of entries to scan.
    let lo = 0;
    let hi = s.idStart.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareRange(s.bytes, s.idStart[mid], s.idEnd[mid], id);
      if (c <= 0) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (at < 0) return null;
    const start = s.indexOffset[at];
    const end = at + 1 < s.indexOffset.length ? s.indexOffset[at + 1] : this.indexSize;
    const run = new Uint8Array(end - start);
    this.indexReads++;
    const whole = await this.pool.use(this.indexPath, (fh) =>
      readFully(fh, run, run.length, start),
    );
    if (!whole) throw this.corrupt("index", `ends before offset ${end}`);
    const e = this.entry;
    let off = 0;
    while (off < run.length) {
      const bad = readEntry(run, off, run.length, e, crc32);
      if (bad !== null) {
        throw this.corrupt("index", `entry at offset ${start + off}: ${bad}`);
      }
      const c = compareBytes(e.id, id);
      if (c === 0) return this.readStream(e.dataOffset, e.dataSize, e.streamCrc);
      if (c > 0) return null;
      off = e.end;
    }
    return null;
  }

  private async readStream(offset: number, size: number, wantCrc: number): Promise<Uint8Array> {
    const stream = new Uint8Array(size);
    this.dataReads++;
    const whole = await this.pool.use(this.dataPath, (fh) => readFully(fh, stream, size, offset));
    if (!whole) throw this.corrupt("data", `stream at ${offset} (${size} bytes) runs past the end`);
    const got = crc32(stream);
    if (got !== wantCrc) {
      throw this.corrupt(
        "data",
        `stream at ${offset} (${size} bytes): crc32 ${hex32(got)} does not match index entry ${hex32(wantCrc)}`,
      );
    }
    return stream;
  }

  /**
   * Every entry in ID order, streaming through the index file (fresh arrays
   * per entry). Streams are fetched ENTRIES_BATCH at a time with concurrent
   * positioned reads: the data file is in arrival order, so ID order makes
   * them random reads, and a batch keeps the I/O threads busy.
   */
  async *entries(): AsyncIterable<VolumeEntry> {
    for await (const batch of this.indexBatches()) {
      const streams = await this.readStreams(batch.offsets, batch.sizes, batch.crcs);
      for (let i = 0; i < streams.length; i++) {
        yield { id: batch.ids[i], encodedTags: batch.tags[i], stream: streams[i] };
      }
    }
  }

  /** Every series' ID and encoded tags in ID order, from the index file alone (no data reads). */
  async *series(): AsyncIterable<{ id: Uint8Array; encodedTags: Uint8Array }> {
    for await (const batch of this.indexBatches()) {
      for (let i = 0; i < batch.ids.length; i++) {
        yield { id: batch.ids[i], encodedTags: batch.tags[i] };
      }
    }
  }

  /** The index file's entries, ENTRIES_BATCH at a time, checked against info's count at the end. */
  private async *indexBatches(): AsyncIterable<IndexBatch> {
    this.checkOpen();
    let buf = new Uint8Array(READ_CHUNK_BYTES);
    let have = 0; // bytes of buf holding unread index data
    let filePos = 0; // index file offset of buf[have]
    let off = 0; // next entry's offset in buf
    const e: IndexEntry = { ...this.entry };
    let count = 0;
    let batch = newBatch();
    for (;;) {
      const bad = off < have ? readEntry(buf, off, have, e, crc32) : NEED_MORE;
      if (bad === null) {
        batch.ids.push(e.id.slice());
        batch.tags.push(e.tags.slice());
        batch.offsets.push(e.dataOffset);
        batch.sizes.push(e.dataSize);
        batch.crcs.push(e.streamCrc);
        off = e.end;
        count++;
        if (batch.ids.length < ENTRIES_BATCH) continue;
      } else if (bad !== NEED_MORE) {
        throw this.corrupt("index", `entry at offset ${filePos - have + off}: ${bad}`);
      }
      if (batch.ids.length > 0) {
        yield batch;
        batch = newBatch();
        continue;
      }
      if (filePos >= this.indexSize) {
        if (off < have) {
          throw this.corrupt("index", `truncated entry at offset ${filePos - have + off}`);
        }
        break;
      }
      // Keep the unread tail, grow if one entry is larger than the buffer, read more.
      const tail = have - off;
      if (tail === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      } else {
        buf.copyWithin(0, off, have);
      }
      off = 0;
      have = tail;
      const target = buf;
      const n = await this.pool.use(this.indexPath, async (fh) => {
        const want = Math.min(target.length - have, this.indexSize - filePos);
        const ok = await readFully(fh, target.subarray(have), want, filePos);
        return ok ? want : -1;
      });
      if (n < 0) throw this.corrupt("index", `ends before offset ${this.indexSize}`);
      have += n;
      filePos += n;
    }
    if (count !== this.info.entries) {
      throw this.corrupt("index", `holds ${count} entries, info says ${this.info.entries}`);
    }
  }

  /** Reads and checks several streams with concurrent positioned reads on one handle. */
  private async readStreams(
    offsets: readonly number[],
    sizes: readonly number[],
    crcs: readonly number[],
  ): Promise<Uint8Array[]> {
    const streams = sizes.map((size) => new Uint8Array(size));
    const whole = await this.pool.use(this.dataPath, (fh) =>
      Promise.all(streams.map((s, i) => readFully(fh, s, s.length, offsets[i]))),
    );
    for (let i = 0; i < streams.length; i++) {
      if (!whole[i]) {
        throw this.corrupt("data", `stream at ${offsets[i]} (${sizes[i]} bytes) runs past the end`);
      }
      const got = crc32(streams[i]);
      if (got !== crcs[i]) {
        throw this.corrupt(
          "data",
          `stream at ${offsets[i]} (${sizes[i]} bytes): crc32 ${hex32(got)} does not match index entry ${hex32(crcs[i])}`,
        );
      }
    }
    return streams;
  }

  /** Releases the volume's handles (a private pool is closed). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownPool) await this.pool.close();
    else await this.pool.forget([this.indexPath, this.dataPath]);
  }

  private checkOpen(): void {
    if (this.closed) throw new VolumeClosedError(this.id);
  }

  private corrupt(file: FileType, reason: string): VolumeCorruptError {
    return new VolumeCorruptError(this.id, file, reason);
  }
}
