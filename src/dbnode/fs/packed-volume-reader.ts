// Opens an m3ts-format volume file: checks header, footer, directory and
// metadata at open, keeps the directory in memory, and serves one series with
// one frame read and decompress (plus its metadata chunk, to compare the ID
// exactly, from a small cache or read beside the frame).
// docs/format/fileset-m3ts.md describes the bytes and the caches.
import { crc32 } from "node:zlib";
import { Decompressor } from "zstd-napi";
import { packedBlock, type SeriesData } from "../../codec/index.js";
import { type FileSystem, M3tsError, murmur3_32, seriesIdOfEncodedTags } from "../../x/index.js";
import { VolumeClosedError, VolumeCorruptError, type VolumeName } from "./errors.js";
import { compareBytes, readUvarint, varint } from "./format.js";
import { FileHandlePool } from "./handle-pool.js";
import {
  checkPackedVolumeId,
  decodeFooter,
  decodeHeader,
  FOOTER_SIZE,
  HEADER_SIZE,
  hex32,
  namespaceCrc,
  type PackedDirectory,
  type PackedFooter,
  type PackedVolumeId,
  type PackedVolumeInfo,
  packedVolumeFileName,
  packedVolumePath,
  parseDirectory,
  SERIES_KIND,
} from "./packed-volume-format.js";
import { readFully } from "./reader.js";

/**
 * Decompressed metadata chunks a reader keeps (LRU). A lookup compares the
 * wanted ID with the stored one; neighbouring series share a chunk, so a
 * query over one metric's series reads its chunk once. At most
 * METADATA_CACHE_CHUNKS * METADATA_CHUNK_RAW_BYTES (32 KiB) plus 16 bytes of
 * offsets a series per reader (more only while a chunk holds one series
 * whose tags are larger than the bound).
 */
export const METADATA_CACHE_CHUNKS = 4;
/**
 * Decompressed frames a reader keeps (LRU), for reads of neighbouring series
 * in a row. At most FRAME_CACHE_FRAMES * FRAME_RAW_BYTES (16 KiB) per reader,
 * more only while a frame holds one series larger than the bound.
 */
export const FRAME_CACHE_FRAMES = 2;
/** Sequential read size when the metadata section is checked at open. */
const CHECK_READ_BYTES = 1 << 20;

/** The volume file does not exist (never written, not yet renamed, or removed). */
export class PackedVolumeMissingError extends M3tsError {
  readonly volume: PackedVolumeId;
  readonly path: string;

  constructor(volume: PackedVolumeId, path: string) {
    super("M3TS_ERR_VOLUME_MISSING", `m3ts-format volume file ${path} does not exist`);
    this.volume = { ...volume };
    this.path = path;
  }
}

/**
 * A decompressed metadata chunk: where each record's tags and stored ID sit
 * in `raw` (idStart === idEnd when the ID is the one the tags give).
 */
interface MetadataChunk {
  raw: Uint8Array;
  tagStart: Uint32Array;
  tagEnd: Uint32Array;
  idStart: Uint32Array;
  idEnd: Uint32Array;
  /** IDs derived from tags, kept while the chunk is cached: a lookup compares one per read. */
  derived: (Uint8Array | undefined)[];
}

/** Ordinals below this are sorted by hash through one packed Float64 key per series. */
const PACKED_KEY_ORDINALS = 2 ** 21;

/** Opens a volume file, checking everything but the frames, which are checked as they are read. */
export async function openPackedVolume(
  root: string,
  id: PackedVolumeId,
  /** A shared pool of handles, or the file system to open a private one on. */
  from: FileHandlePool | FileSystem,
): Promise<PackedVolumeReader> {
  checkPackedVolumeId(id);
  const vol = { ...id };
  const path = packedVolumePath(root, vol);
  const ownPool = !(from instanceof FileHandlePool);
  const pool = ownPool ? new FileHandlePool(1, from) : from;
  const name = packedVolumeFileName(vol);
  const label: VolumeName = {
    namespace: vol.namespace,
    shard: vol.shard,
    blockStartMs: vol.startMs,
    volume: vol.volume,
  };
  const corrupt = (section: string, reason: string) =>
    new VolumeCorruptError(label, section, `${name}: ${reason}`);
  try {
    let fileBytes: number;
    try {
      fileBytes = await pool.use(path, async (fh) => (await fh.stat()).size);
    } catch (err) {
      if ((err as { code?: unknown }).code === "ENOENT")
        throw new PackedVolumeMissingError(vol, path);
      throw err;
    }
    if (fileBytes < HEADER_SIZE + FOOTER_SIZE) {
      throw corrupt("footer", `${fileBytes} bytes, shorter than a header and a footer (truncated)`);
    }
    const headerBytes = await readAt(pool, path, 0, HEADER_SIZE);
    if (headerBytes === null) throw corrupt("header", "cut short");
    const header = decodeHeader(headerBytes);
    if (typeof header === "string") throw corrupt("header", header);
    const mismatch = nameMismatch(header, vol);
    if (mismatch !== "") throw corrupt("header", `${mismatch} does not match the file name`);
    const footerBytes = await readAt(pool, path, fileBytes - FOOTER_SIZE, FOOTER_SIZE);
    if (footerBytes === null) throw corrupt("footer", "cut short");
    const footer = decodeFooter(footerBytes, fileBytes);
    if (typeof footer === "string") throw corrupt("footer", footer);
    if (footer.headerCrc !== crc32(headerBytes)) {
      throw corrupt("footer", "names a different header (a file spliced from two volumes)");
    }
    const dirBytes = await readAt(pool, path, footer.directoryOffset, footer.directoryLength);
    if (dirBytes === null) throw corrupt("directory", "cut short");
    const dirCrc = crc32(dirBytes);
    if (dirCrc !== footer.directoryCrc) {
      throw corrupt(
        "directory",
        `crc32 ${hex32(dirCrc)} does not match footer ${hex32(footer.directoryCrc)}`,
      );
    }
    const dir = parseDirectory(dirBytes, footer, header);
    if (typeof dir === "string") throw corrupt("directory", dir);
    const metaCrc = await crcOf(pool, path, footer.metadataOffset, footer.metadataLength);
    if (metaCrc === null) throw corrupt("metadata", "cut short");
    if (metaCrc !== footer.metadataCrc) {
      throw corrupt(
        "metadata",
        `crc32 ${hex32(metaCrc)} does not match footer ${hex32(footer.metadataCrc)}`,
      );
    }
    const info: PackedVolumeInfo = {
      startMs: header.startMs,
      endMs: header.endMs,
      blockSizeMs: header.blockSizeMs,
      entries: footer.entries,
      volume: header.volume,
      shard: header.shard,
      frames: footer.frames,
      metadataChunks: footer.metadataChunks,
      fileBytes,
    };
    return new PackedVolumeReader(vol, label, info, footer, dir, path, pool, ownPool);
  } catch (err) {
    if (ownPool) await pool.close();
    else await pool.forget([path]);
    throw err;
  }
}

function nameMismatch(
  h: { shard: number; volume: number; startMs: number; endMs: number; namespaceCrc: number },
  id: PackedVolumeId,
): string {
  if (h.shard !== id.shard) return `shard ${h.shard}`;
  if (h.startMs !== id.startMs) return `startMs ${h.startMs}`;
  if (h.endMs !== id.endMs) return `endMs ${h.endMs}`;
  if (h.volume !== id.volume) return `volume ${h.volume}`;
  if (h.namespaceCrc !== namespaceCrc(id.namespace)) return "namespace crc32";
  return "";
}

/** Exactly `length` bytes at `position`, or null when the file ends first. */
async function readAt(
  pool: FileHandlePool,
  path: string,
  position: number,
  length: number,
): Promise<Uint8Array | null> {
  const buf = new Uint8Array(length);
  const ok = await pool.use(path, (fh) => readFully(fh, buf, length, position));
  return ok ? buf : null;
}

async function crcOf(
  pool: FileHandlePool,
  path: string,
  position: number,
  length: number,
): Promise<number | null> {
  return pool.use(path, async (fh) => {
    const buf = new Uint8Array(Math.min(CHECK_READ_BYTES, Math.max(1, length)));
    let crc = 0;
    for (let done = 0; done < length; ) {
      const n = Math.min(buf.length, length - done);
      if (!(await readFully(fh, buf, n, position + done))) return null;
      crc = crc32(buf.subarray(0, n), crc);
      done += n;
    }
    return crc;
  });
}

/** A small LRU of promises (concurrent lookups of one unit share its read). */
class UnitCache<T> {
  private readonly max: number;
  private readonly map = new Map<number, Promise<T>>();

  constructor(max: number) {
    this.max = max;
  }

  get(key: number, load: () => Promise<T>): Promise<T> {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const p = load();
    this.map.set(key, p);
    // A failed load is not cached (the next lookup reads again), unless it was replaced meanwhile.
    p.catch(() => {
      if (this.map.get(key) === p) this.map.delete(key);
    });
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value as number;
      this.map.delete(oldest);
    }
    return p;
  }

  clear(): void {
    this.map.clear();
  }
}

/** An open, checked m3ts-format volume. */
export class PackedVolumeReader {
  readonly id: PackedVolumeId;
  readonly info: PackedVolumeInfo;
  /** Metadata chunk reads from disk by read() (cache hits and misses answered from memory make none). */
  indexReads = 0;
  /** Frame reads from disk by read(). */
  dataReads = 0;
  private readonly label: VolumeName;
  private readonly footer: PackedFooter;
  private readonly dir: PackedDirectory;
  private readonly path: string;
  private readonly pool: FileHandlePool;
  private readonly ownPool: boolean;
  private readonly zstd = new Decompressor();
  private readonly chunkCache = new UnitCache<MetadataChunk>(METADATA_CACHE_CHUNKS);
  private readonly frameCache = new UnitCache<Uint8Array>(FRAME_CACHE_FRAMES);
  private byHash: Uint32Array | null = null;
  private closed = false;

  constructor(
    id: PackedVolumeId,
    label: VolumeName,
    info: PackedVolumeInfo,
    footer: PackedFooter,
    dir: PackedDirectory,
    path: string,
    pool: FileHandlePool,
    ownPool: boolean,
  ) {
    this.id = id;
    this.label = label;
    this.info = info;
    this.footer = footer;
    this.dir = dir;
    this.path = path;
    this.pool = pool;
    this.ownPool = ownPool;
  }

  /** Bytes of the file by section, for a breakdown of where they go. */
  sections(): Record<string, number> {
    const f = this.footer;
    return {
      header: HEADER_SIZE,
      frames: f.framesLength,
      metadata: f.metadataLength,
      directory: f.directoryLength,
      footer: FOOTER_SIZE,
    };
  }

  /** One series' data, or null when the volume does not hold that exact ID. */
  async read(id: Uint8Array): Promise<SeriesData | null> {
    this.checkOpen();
    const d = this.dir;
    const byHash = this.hashOrder();
    const h = murmur3_32(id, 0);
    // The first series with this hash, then each one with it (usually none or one).
    let lo = 0;
    let hi = byHash.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d.hashes[byHash[mid]] < h) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < byHash.length && d.hashes[byHash[k]] === h; k++) {
      const o = byHash[k];
      const c = unitOf(d.chunkFirst, this.footer.metadataChunks, o);
      const f = unitOf(d.frameFirst, this.footer.frames, o);
      // Frame and chunk are fetched together: one round of I/O, not two.
      const [chunk, frame] = await Promise.all([this.cachedChunk(c), this.cachedFrame(f)]);
      if (compareBytes(this.idAt(chunk, c, o - d.chunkFirst[c]), id) !== 0) continue;
      return this.slice(frame, f, o);
    }
    return null;
  }

  /** Ordinals sorted by hash, built on the first lookup (4 bytes a series). */
  private hashOrder(): Uint32Array {
    if (this.byHash !== null) return this.byHash;
    const n = this.info.entries;
    const hashes = this.dir.hashes;
    const order = new Uint32Array(n);
    if (n <= PACKED_KEY_ORDINALS) {
      // One number per series (hash * 2^21 + ordinal, exact below 2^53): a
      // typed-array sort without a comparator, several times faster.
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = hashes[i] * PACKED_KEY_ORDINALS + i;
      keys.sort();
      for (let i = 0; i < n; i++) order[i] = keys[i] % PACKED_KEY_ORDINALS;
    } else {
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => hashes[a] - hashes[b] || a - b);
    }
    this.byHash = order;
    return order;
  }

  /** The ID of record `i` of chunk `c`: stored, or derived from its tags. */
  private idAt(chunk: MetadataChunk, c: number, i: number): Uint8Array {
    if (chunk.idEnd[i] > chunk.idStart[i])
      return chunk.raw.subarray(chunk.idStart[i], chunk.idEnd[i]);
    const known = chunk.derived[i];
    if (known !== undefined) return known;
    const tags = chunk.raw.subarray(chunk.tagStart[i], chunk.tagEnd[i]);
    try {
      const id = seriesIdOfEncodedTags(tags);
      chunk.derived[i] = id;
      return id;
    } catch (err) {
      throw this.corrupt(
        "metadata",
        `chunk ${c}: series ${this.dir.chunkFirst[c] + i}: tags do not give an ID: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Every series in ID order with its data; frames and chunks are read sequentially and checked. */
  async *entries(): AsyncIterable<{ id: Uint8Array; encodedTags: Uint8Array; data: SeriesData }> {
    this.checkOpen();
    const d = this.dir;
    let c = -1;
    let ids: Uint8Array[] = [];
    let tags: Uint8Array[] = [];
    let framesCrc = 0;
    for (let f = 0; f < this.footer.frames; f++) {
      const compressed = await this.readUnit(d.frameOffset[f], d.frameOffset[f + 1], "frames");
      framesCrc = crc32(compressed, framesCrc);
      const frame = this.decodeFrame(f, compressed);
      for (let o = d.frameFirst[f]; o < d.frameFirst[f + 1]; o++) {
        while (o >= d.chunkFirst[c + 1]) {
          c++;
          const compressed = await this.readUnit(
            d.chunkOffset[c],
            d.chunkOffset[c + 1],
            "metadata",
          );
          const before = ids.length > 0 ? ids[ids.length - 1] : null;
          ({ ids, tags } = this.checkedRecords(c, this.decodeChunk(c, compressed), before));
        }
        const i = o - d.chunkFirst[c];
        yield {
          id: ids[i].slice(),
          encodedTags: tags[i].slice(),
          data: this.slice(frame, f, o),
        };
      }
    }
    if (framesCrc !== this.footer.framesCrc) {
      throw this.corrupt(
        "frames",
        `section crc32 ${hex32(framesCrc)} does not match footer ${hex32(this.footer.framesCrc)}`,
      );
    }
  }

  /** Every series' ID and encoded tags in ID order, from the metadata alone (no frame reads). */
  async *series(): AsyncIterable<{ id: Uint8Array; encodedTags: Uint8Array }> {
    this.checkOpen();
    const d = this.dir;
    let before: Uint8Array | null = null;
    for (let c = 0; c < this.footer.metadataChunks; c++) {
      const compressed = await this.readUnit(d.chunkOffset[c], d.chunkOffset[c + 1], "metadata");
      const { ids, tags } = this.checkedRecords(c, this.decodeChunk(c, compressed), before);
      before = ids[ids.length - 1];
      for (let i = 0; i < ids.length; i++) {
        yield { id: ids[i].slice(), encodedTags: tags[i].slice() };
      }
    }
  }

  /** Releases the file handle (a private pool is closed) and the caches. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.chunkCache.clear();
    this.frameCache.clear();
    if (this.ownPool) await this.pool.close();
    else await this.pool.forget([this.path]);
  }

  /** A copy of series `o`'s bytes out of frame `f`'s raw bytes, with its kind. */
  private slice(frame: Uint8Array, f: number, o: number): SeriesData {
    const d = this.dir;
    let at = 0;
    for (let i = d.frameFirst[f]; i < o; i++) at += d.sizes[i];
    const bytes = frame.slice(at, at + d.sizes[o]);
    return d.kinds[o] === SERIES_KIND.packed ? packedBlock(bytes) : bytes;
  }

  private cachedChunk(c: number): Promise<MetadataChunk> {
    return this.chunkCache.get(c, async () => {
      this.indexReads++;
      const d = this.dir;
      return this.decodeChunk(
        c,
        await this.readUnit(d.chunkOffset[c], d.chunkOffset[c + 1], "metadata"),
      );
    });
  }

  private cachedFrame(f: number): Promise<Uint8Array> {
    return this.frameCache.get(f, async () => {
      this.dataReads++;
      const d = this.dir;
      return this.decodeFrame(
        f,
        await this.readUnit(d.frameOffset[f], d.frameOffset[f + 1], "frames"),
      );
    });
  }

  private async readUnit(start: number, end: number, section: string): Promise<Uint8Array> {
    const buf = await readAt(this.pool, this.path, start, end - start);
    if (buf === null) throw this.corrupt(section, `ends before offset ${end} (truncated)`);
    return buf;
  }

  /** Checks a frame's crc32 before decompressing it, then its raw length. */
  private decodeFrame(f: number, compressed: Uint8Array): Uint8Array {
    const want = this.dir.frameCrc[f];
    const got = crc32(compressed);
    if (got !== want) {
      throw this.corrupt(
        "frames",
        `frame ${f}: crc32 ${hex32(got)} does not match directory ${hex32(want)}`,
      );
    }
    const raw = this.decompress(compressed, "frames", `frame ${f}`);
    if (raw.length !== this.dir.frameRaw[f]) {
      throw this.corrupt(
        "frames",
        `frame ${f}: ${raw.length} raw bytes, directory says ${this.dir.frameRaw[f]}`,
      );
    }
    return raw;
  }

  private decompress(compressed: Uint8Array, section: string, what: string): Uint8Array {
    try {
      return this.zstd.decompress(compressed);
    } catch (err) {
      throw this.corrupt(
        section,
        `${what}: zstd: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /**
   * Checks metadata chunk `c`'s crc32 before decompressing it, then its raw
   * length, and finds its records, which must fill it exactly.
   */
  private decodeChunk(c: number, compressed: Uint8Array): MetadataChunk {
    const d = this.dir;
    const what = `chunk ${c}`;
    const got = crc32(compressed);
    if (got !== d.chunkCrc[c]) {
      throw this.corrupt(
        "metadata",
        `${what}: crc32 ${hex32(got)} does not match directory ${hex32(d.chunkCrc[c])}`,
      );
    }
    const raw = this.decompress(compressed, "metadata", what);
    if (raw.length !== d.chunkRaw[c]) {
      throw this.corrupt(
        "metadata",
        `${what}: ${raw.length} raw bytes, directory says ${d.chunkRaw[c]}`,
      );
    }
    const count = d.chunkFirst[c + 1] - d.chunkFirst[c];
    const chunk: MetadataChunk = {
      raw,
      tagStart: new Uint32Array(count),
      tagEnd: new Uint32Array(count),
      idStart: new Uint32Array(count),
      idEnd: new Uint32Array(count),
      derived: new Array(count),
    };
    let off = 0;
    for (let i = 0; i < count; i++) {
      readUvarint(raw, off, raw.length);
      if (varint.off < 0 || varint.off + varint.value > raw.length) {
        throw this.corrupt("metadata", `${what}: record ${i}: bad tags length`);
      }
      chunk.tagStart[i] = varint.off;
      chunk.tagEnd[i] = varint.off + varint.value;
      readUvarint(raw, chunk.tagEnd[i], raw.length);
      if (varint.off < 0 || varint.off + varint.value > raw.length) {
        throw this.corrupt("metadata", `${what}: record ${i}: bad ID length`);
      }
      chunk.idStart[i] = varint.off;
      chunk.idEnd[i] = varint.off + varint.value;
      off = chunk.idEnd[i];
    }
    if (off !== raw.length)
      throw this.corrupt("metadata", `${what}: ${raw.length - off} trailing bytes`);
    return chunk;
  }

  /**
   * Every record's ID and tags, checked as a whole pass can afford to: IDs in
   * increasing order (also across chunks) and each one's hash as the directory has it.
   */
  private checkedRecords(
    c: number,
    chunk: MetadataChunk,
    /** The previous chunk's last ID in this pass, or null for the first chunk. */
    before: Uint8Array | null,
  ): { ids: Uint8Array[]; tags: Uint8Array[] } {
    const d = this.dir;
    const ids: Uint8Array[] = [];
    const tags: Uint8Array[] = [];
    for (let i = 0; i < chunk.tagStart.length; i++) {
      const o = d.chunkFirst[c] + i;
      const id = this.idAt(chunk, c, i);
      const prev = ids.length > 0 ? ids[ids.length - 1] : before;
      if (prev !== null && compareBytes(prev, id) >= 0) {
        throw this.corrupt("metadata", `chunk ${c}: series ${o}: IDs out of order`);
      }
      if (murmur3_32(id, 0) !== d.hashes[o]) {
        throw this.corrupt(
          "metadata",
          `chunk ${c}: series ${o}: ID does not match the directory's hash`,
        );
      }
      ids.push(id);
      tags.push(chunk.raw.subarray(chunk.tagStart[i], chunk.tagEnd[i]));
    }
    return { ids, tags };
  }

  private checkOpen(): void {
    if (this.closed) throw new VolumeClosedError(this.label);
  }

  private corrupt(section: string, reason: string): VolumeCorruptError {
    return new VolumeCorruptError(
      this.label,
      section,
      `${packedVolumeFileName(this.id)}: ${reason}`,
    );
  }
}

/** The unit (frame or chunk) holding ordinal `o`, given each unit's first ordinal. */
function unitOf(first: Uint32Array, units: number, o: number): number {
  let lo = 0;
  let hi = units - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (first[mid] <= o) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
