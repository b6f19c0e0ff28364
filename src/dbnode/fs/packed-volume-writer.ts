// Writes one m3ts-format volume file: series in ID order, their data in zstd
// frames of bounded size, their tags (and IDs that the tags do not give) in
// zstd metadata chunks, then the directory and the footer. The file goes
// through a temp name, fsync and rename, so a file under its final name is
// whole (docs/format/fileset-m3ts.md).
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { Compressor } from "zstd-napi";
import { isPacked, type SeriesData } from "../../codec/index.js";
import type { FileHandle, FileSystem } from "../../x/index.js";
import { murmur3_32, seriesIdOfEncodedTags } from "../../x/index.js";
import { DuplicateSeriesIdError, InvalidVolumeInputError } from "./errors.js";
import { compareBytes } from "./format.js";
import {
  checkBlockSize,
  checkPackedVolumeId,
  DEFAULT_ZSTD_LEVEL,
  encodeDirectory,
  encodeFooter,
  encodeHeader,
  FOOTER_SIZE,
  FRAME_RAW_BYTES,
  HEADER_SIZE,
  MAX_SERIES_BYTES,
  MAX_ZSTD_LEVEL,
  METADATA_CHUNK_RAW_BYTES,
  MIN_ZSTD_LEVEL,
  metadataRecordMaxSize,
  namespaceCrc,
  PACKED_FORMAT_VERSION,
  PACKED_TEMP_SUFFIX,
  type PackedVolumeId,
  type PackedVolumeInfo,
  packedVolumePath,
  putMetadataRecord,
  SERIES_KIND,
  type SectionUnit,
} from "./packed-volume-format.js";
import { io, syncDir } from "./writer.js";

/** One series given to writePackedVolume. */
export interface PackedVolumeEntry {
  id: Uint8Array;
  encodedTags: Uint8Array;
  data: SeriesData;
}

export interface WritePackedVolumeOptions {
  fs: FileSystem;
  /** zstd level of frames and metadata chunks (default DEFAULT_ZSTD_LEVEL). */
  zstdLevel?: number;
  /**
   * The entries come in increasing ID order (a merge of volumes does): they
   * are written as they arrive, holding one frame and one metadata chunk, and
   * one out of order raises InvalidVolumeInputError. Otherwise (the default)
   * they are held by reference and sorted at the end.
   */
  inIdOrder?: boolean;
}

/** Write buffer of the volume file. */
const WRITE_BUFFER_BYTES = 64 * 1024;

/**
 * Writes a complete volume file, series sorted by ID bytes (a duplicate ID
 * raises DuplicateSeriesIdError, empty data is skipped). Unless
 * `inIdOrder`, entries are held by reference until the end, so their arrays
 * must not change until the returned promise settles.
 */
export async function writePackedVolume(
  root: string,
  id: PackedVolumeId,
  blockSizeMs: number,
  entries: Iterable<PackedVolumeEntry> | AsyncIterable<PackedVolumeEntry>,
  options: WritePackedVolumeOptions,
): Promise<PackedVolumeInfo> {
  checkPackedVolumeId(id);
  checkBlockSize(id, blockSizeMs);
  const zstdLevel = options.zstdLevel ?? DEFAULT_ZSTD_LEVEL;
  if (!Number.isInteger(zstdLevel) || zstdLevel < MIN_ZSTD_LEVEL || zstdLevel > MAX_ZSTD_LEVEL) {
    throw new InvalidVolumeInputError(
      "zstdLevel",
      `${zstdLevel} must be an integer in [${MIN_ZSTD_LEVEL}, ${MAX_ZSTD_LEVEL}]`,
    );
  }
  const fs = options.fs;
  const path = packedVolumePath(root, id);
  const dir = dirname(path);
  const tempPath = path + PACKED_TEMP_SUFFIX;
  await io(dir, "mkdir", () => fs.mkdir(dir, { recursive: true }));
  const file = new AppendFile(fs, tempPath);
  try {
    await file.open();
    const header = encodeHeader({
      version: PACKED_FORMAT_VERSION,
      shard: id.shard,
      volume: id.volume,
      startMs: id.startMs,
      endMs: id.endMs,
      blockSizeMs,
      namespaceCrc: namespaceCrc(id.namespace),
      frameRawBytes: FRAME_RAW_BYTES,
      zstdLevel,
    });
    await file.write(header);
    const body = new VolumeBody(id, file, zstdLevel);
    const held: PackedVolumeEntry[] = [];
    const inIdOrder = options.inIdOrder === true;
    const take = async (e: PackedVolumeEntry) => {
      const size = dataBytes(e.data).length;
      if (size === 0) return;
      if (e.id.length === 0) throw new InvalidVolumeInputError("id", "a series ID is empty");
      if (size > MAX_SERIES_BYTES) {
        throw new InvalidVolumeInputError(
          "data",
          `a series holds ${size} bytes; at most ${MAX_SERIES_BYTES} are supported`,
        );
      }
      if (inIdOrder) await body.add(e);
      else held.push(e);
    };
    if (Symbol.iterator in entries) {
      for (const e of entries) await take(e);
    } else {
      for await (const e of entries) await take(e);
    }
    if (!inIdOrder) {
      held.sort((a, b) => compareBytes(a.id, b.id));
      for (const e of held) await body.add(e);
    }
    await body.finish();
    await file.sync();
    await file.close();
    await io(tempPath, "rename", () => fs.rename(tempPath, path));
    await syncDir(fs, dir);
    return {
      startMs: id.startMs,
      endMs: id.endMs,
      blockSizeMs,
      entries: body.count,
      volume: id.volume,
      shard: id.shard,
      frames: body.frames.length,
      metadataChunks: body.chunks.length,
      fileBytes: file.size,
    };
  } catch (err) {
    await file.abandon();
    await fs.unlink(tempPath).catch(() => undefined);
    throw err;
  }
}

function volumeName(id: PackedVolumeId) {
  return { namespace: id.namespace, shard: id.shard, blockStartMs: id.startMs, volume: id.volume };
}

function dataBytes(data: SeriesData): Uint8Array {
  return isPacked(data) ? data.bytes : data;
}

/** The stored ID field: null when the tags give the ID back exactly. */
function storedIdOf(id: Uint8Array, tags: Uint8Array): Uint8Array | null {
  let derived: Uint8Array;
  try {
    derived = seriesIdOfEncodedTags(tags);
  } catch {
    return id; // tags that do not decode cannot give an ID
  }
  return compareBytes(derived, id) === 0 ? null : id;
}

/**
 * The sections after the header: frames written as they fill, metadata
 * chunks compressed as they fill and kept (they are written after the
 * frames), per-series columns for the directory.
 */
class VolumeBody {
  private readonly id: PackedVolumeId;
  private readonly file: AppendFile;
  private readonly zstd: Compressor;
  count = 0;
  hashes = new Uint32Array(1024);
  kinds = new Uint8Array(1024);
  sizes = new Float64Array(1024);
  readonly frames: SectionUnit[] = [];
  readonly chunks: SectionUnit[] = [];
  private readonly chunkBytes: Uint8Array[] = [];
  private frame = new Uint8Array(FRAME_RAW_BYTES);
  private frameUsed = 0;
  private frameSeries = 0;
  private chunk = new Uint8Array(METADATA_CHUNK_RAW_BYTES);
  private chunkUsed = 0;
  private chunkSeries = 0;
  framesCrc = 0;
  framesLength = 0;
  private last: Uint8Array | null = null;

  constructor(id: PackedVolumeId, file: AppendFile, zstdLevel: number) {
    this.id = id;
    this.file = file;
    this.zstd = new Compressor();
    this.zstd.setParameters({ compressionLevel: zstdLevel });
  }

  /** Adds the next series in ID order. */
  async add(e: PackedVolumeEntry): Promise<void> {
    if (this.last !== null) {
      const c = compareBytes(e.id, this.last);
      if (c === 0) throw new DuplicateSeriesIdError(volumeName(this.id), e.id);
      if (c < 0) {
        throw new InvalidVolumeInputError(
          "entries",
          `series ${JSON.stringify(Buffer.from(e.id).toString("utf8"))} comes after a greater ID; with inIdOrder the entries must be in increasing ID order`,
        );
      }
    }
    this.last = e.id;
    const data = dataBytes(e.data);
    const n = this.count;
    if (n === this.hashes.length) this.grow();
    this.hashes[n] = murmur3_32(e.id, 0);
    this.kinds[n] = isPacked(e.data) ? SERIES_KIND.packed : SERIES_KIND.m3tsz;
    this.sizes[n] = data.length;
    this.count++;

    if (this.frameSeries > 0 && this.frameUsed + data.length > FRAME_RAW_BYTES) {
      await this.flushFrame();
    }
    if (data.length > this.frame.length) {
      // Only an empty frame gets here: a series larger than the bound is a frame of its own.
      await this.writeFrame(data, 1);
    } else {
      this.frame.set(data, this.frameUsed);
      this.frameUsed += data.length;
      this.frameSeries++;
    }

    const storedId = storedIdOf(e.id, e.encodedTags);
    const max = metadataRecordMaxSize(
      e.encodedTags.length,
      storedId === null ? 0 : storedId.length,
    );
    if (this.chunkSeries > 0 && this.chunkUsed + max > METADATA_CHUNK_RAW_BYTES) this.flushChunk();
    if (max > this.chunk.length - this.chunkUsed) {
      const bigger = new Uint8Array(this.chunkUsed + max);
      bigger.set(this.chunk.subarray(0, this.chunkUsed));
      this.chunk = bigger;
    }
    this.chunkUsed = putMetadataRecord(this.chunk, this.chunkUsed, e.encodedTags, storedId);
    this.chunkSeries++;
  }

  private grow(): void {
    const n = this.hashes.length * 2;
    const hashes = new Uint32Array(n);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const kinds = new Uint8Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const sizes = new Float64Array(n);
    sizes.set(this.sizes);
    this.sizes = sizes;
  }

  private async flushFrame(): Promise<void> {
    if (this.frameSeries === 0) return;
    await this.writeFrame(this.frame.subarray(0, this.frameUsed), this.frameSeries);
    this.frameUsed = 0;
    this.frameSeries = 0;
  }

  private async writeFrame(raw: Uint8Array, seriesCount: number): Promise<void> {
    const compressed = this.zstd.compress(raw);
    const crc = crc32(compressed);
    this.frames.push({
      seriesCount,
      compressedLength: compressed.length,
      rawLength: raw.length,
      crc,
    });
    this.framesCrc = crc32(compressed, this.framesCrc);
    this.framesLength += compressed.length;
    await this.file.write(compressed);
  }

  private flushChunk(): void {
    if (this.chunkSeries === 0) return;
    const raw = this.chunk.subarray(0, this.chunkUsed);
    const compressed = this.zstd.compress(raw);
    this.chunks.push({
      seriesCount: this.chunkSeries,
      compressedLength: compressed.length,
      rawLength: raw.length,
      crc: crc32(compressed),
    });
    this.chunkBytes.push(compressed);
    if (this.chunk.length > METADATA_CHUNK_RAW_BYTES) {
      this.chunk = new Uint8Array(METADATA_CHUNK_RAW_BYTES);
    }
    this.chunkUsed = 0;
    this.chunkSeries = 0;
  }

  /** Writes the last frame, the metadata, the directory and the footer. */
  async finish(): Promise<void> {
    await this.flushFrame();
    this.flushChunk();
    const metadataOffset = HEADER_SIZE + this.framesLength;
    let metadataCrc = 0;
    let metadataLength = 0;
    for (const c of this.chunkBytes) {
      metadataCrc = crc32(c, metadataCrc);
      metadataLength += c.length;
      await this.file.write(c);
    }
    const directory = encodeDirectory(
      this.hashes,
      this.kinds,
      this.sizes,
      this.count,
      this.frames,
      this.chunks,
    );
    await this.file.write(directory);
    const footer = encodeFooter({
      entries: this.count,
      frames: this.frames.length,
      metadataChunks: this.chunks.length,
      headerCrc: this.file.headerCrc,
      framesOffset: HEADER_SIZE,
      framesLength: this.framesLength,
      metadataOffset,
      metadataLength,
      directoryOffset: metadataOffset + metadataLength,
      directoryLength: directory.length,
      framesCrc: this.framesCrc,
      metadataCrc,
      directoryCrc: crc32(directory),
    });
    await this.file.write(footer);
    const expected = metadataOffset + metadataLength + directory.length + FOOTER_SIZE;
    if (this.file.size !== expected) {
      throw new Error(`assertion: wrote ${this.file.size} bytes, the footer says ${expected}`);
    }
  }
}

/** The temp file, appended to through one buffer. */
class AppendFile {
  private readonly fs: FileSystem;
  readonly path: string;
  private fh: FileHandle | null = null;
  private readonly buf = new Uint8Array(WRITE_BUFFER_BYTES);
  private used = 0;
  size = 0;
  /** crc32 of the header's bytes (the first HEADER_SIZE written), for the footer. */
  headerCrc = 0;

  constructor(fs: FileSystem, path: string) {
    this.fs = fs;
    this.path = path;
  }

  async open(): Promise<void> {
    this.fh = await io(this.path, "open", () => this.fs.open(this.path, "w"));
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.size === 0 && bytes.length === HEADER_SIZE) this.headerCrc = crc32(bytes);
    this.size += bytes.length;
    if (this.used + bytes.length <= this.buf.length) {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
      return;
    }
    await this.flush();
    if (bytes.length <= this.buf.length) {
      this.buf.set(bytes, 0);
      this.used = bytes.length;
      return;
    }
    await this.writeRaw(bytes);
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeRaw(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private async writeRaw(bytes: Uint8Array): Promise<void> {
    const fh = this.handle();
    await io(this.path, "write", async () => {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
    });
  }

  async sync(): Promise<void> {
    await this.flush();
    const fh = this.handle();
    await io(this.path, "sync", () => fh.sync());
  }

  async close(): Promise<void> {
    const fh = this.handle();
    this.fh = null;
    await io(this.path, "close", () => fh.close());
  }

  /** Closes the handle, if open, without raising (cleanup after another failure). */
  async abandon(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh !== null) await fh.close().catch(() => undefined);
  }

  private handle(): FileHandle {
    if (this.fh === null) throw new Error(`assertion: ${this.path} is not open`);
    return this.fh;
  }
}
