// The m3ts-format volume's bytes: its name, header, footer, directory and
// metadata chunk layout, and the bounds that size its frames.
// docs/format/fileset-m3ts.md is the byte-by-byte description; this file and
// that page change together.
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { InvalidVolumeInputError } from "./errors.js";
import { getU32, MAX_VARINT_BYTES, putU32, putUvarint, readUvarint, varint } from "./format.js";

/** Names one m3ts-format volume: a namespace, a shard and the span [startMs, endMs) it covers. */
export interface PackedVolumeId {
  namespace: string;
  shard: number;
  startMs: number;
  endMs: number;
  volume: number;
}

/** What a volume's header and footer say, as the writer returns it and a reader exposes it. */
export interface PackedVolumeInfo {
  startMs: number;
  endMs: number;
  blockSizeMs: number;
  entries: number;
  volume: number;
  shard: number;
  frames: number;
  metadataChunks: number;
  /** The whole file's length in bytes. */
  fileBytes: number;
}

/**
 * Upper bound of a data frame's uncompressed bytes. A frame holds the data of
 * consecutive series and is read and decompressed whole to serve one of
 * them, so this bounds the work of one read: crc32 and zstd over an 8 KiB
 * frame take about 10-14 µs here, 16 KiB about twice that, against the
 * 18 µs in which M3TSZ decodes a 720-point series at 40 M points/s. Larger
 * frames gain only 2-4% of size (docs/format/fileset-m3ts.md has the
 * figures). A series larger than the bound gets a frame of its own.
 */
export const FRAME_RAW_BYTES = 8 * 1024;
/**
 * Upper bound of a metadata chunk's uncompressed bytes (the encoded tags and
 * stored IDs of consecutive series). A lookup decompresses its chunk to
 * compare the ID, so it is bounded like a frame; 16 KiB would save about
 * 3 bytes a series of ~200-byte label sets and double that cost.
 */
export const METADATA_CHUNK_RAW_BYTES = 8 * 1024;
/**
 * zstd level of frames and metadata chunks. Measured on 720-point series of
 * ~700 bytes: level 15 writes 1-2% fewer bytes than 9 or 12 and still
 * writes about 5 M points/s; 19 gains 0.1% more at half that speed.
 */
export const DEFAULT_ZSTD_LEVEL = 15;
/** Level range accepted by the writer (zstd's regular levels). */
export const MIN_ZSTD_LEVEL = 1;
export const MAX_ZSTD_LEVEL = 22;

/** The one-byte kind of a series' data, as stored in the directory. */
export const SERIES_KIND = { m3tsz: 0, packed: 1 } as const;
export type SeriesKindCode = (typeof SERIES_KIND)[keyof typeof SERIES_KIND];

/** "M3TSPACK" in ASCII: the first bytes of every m3ts-format volume. */
export const PACKED_MAGIC = new Uint8Array([0x4d, 0x33, 0x54, 0x53, 0x50, 0x41, 0x43, 0x4b]);
/** "m3ts" in ASCII: the format id, beside the magic. */
export const FORMAT_ID = new Uint8Array([0x6d, 0x33, 0x74, 0x73]);
/** "M3TE" in ASCII: the footer's magic, the last bytes before the footer's crc32. */
export const FOOTER_MAGIC = new Uint8Array([0x4d, 0x33, 0x54, 0x45]);
export const PACKED_FORMAT_VERSION = 1;
export const HEADER_SIZE = 64;
export const FOOTER_SIZE = 84;
/** Suffix of a volume file being written; renamed away once it is complete and synced. */
export const PACKED_TEMP_SUFFIX = ".tmp";
const U32_LIMIT = 2 ** 32;

/** `fileset-<shard>-<startMs>-<endMs>-<volume>.m3ts`. */
export function packedVolumeFileName(id: PackedVolumeId): string {
  return `fileset-${id.shard}-${id.startMs}-${id.endMs}-${id.volume}.m3ts`;
}

const NAME_PATTERN = /^fileset-(\d+)-(-?\d+)-(-?\d+)-(\d+)\.m3ts(\.tmp)?$/;

export interface ParsedPackedName {
  shard: number;
  startMs: number;
  endMs: number;
  volume: number;
  temp: boolean;
}

/** Parses a volume file name (final or temporary); null for anything else. */
export function parsePackedVolumeFileName(name: string): ParsedPackedName | null {
  const m = NAME_PATTERN.exec(name);
  if (m === null) return null;
  const [shard, startMs, endMs, volume] = [m[1], m[2], m[3], m[4]].map(Number);
  for (const v of [shard, startMs, endMs, volume]) if (!Number.isSafeInteger(v)) return null;
  if (shard >= U32_LIMIT || volume >= U32_LIMIT || endMs <= startMs) return null;
  // Names this build writes only: no leading zeros, so one id has one name.
  const back = `fileset-${shard}-${startMs}-${endMs}-${volume}.m3ts`;
  if (name !== back && name !== back + PACKED_TEMP_SUFFIX) return null;
  return { shard, startMs, endMs, volume, temp: m[5] !== undefined };
}

/** The flat directory holding a namespace's m3ts-format volumes. */
export function packedNamespaceDir(root: string, namespace: string): string {
  return join(root, "data", namespace);
}

/** The path of a volume's file under its final name. */
export function packedVolumePath(root: string, id: PackedVolumeId): string {
  return join(packedNamespaceDir(root, id.namespace), packedVolumeFileName(id));
}

/** Throws InvalidVolumeInputError unless `id` names a volume this format can hold. */
export function checkPackedVolumeId(id: PackedVolumeId): void {
  if (
    typeof id.namespace !== "string" ||
    id.namespace === "" ||
    /[/\\]/.test(id.namespace) ||
    id.namespace.startsWith(".")
  ) {
    throw new InvalidVolumeInputError(
      "namespace",
      `${JSON.stringify(id.namespace)} must be a non-empty name without slashes or a leading dot`,
    );
  }
  if (!Number.isSafeInteger(id.shard) || id.shard < 0 || id.shard >= U32_LIMIT) {
    throw new InvalidVolumeInputError("shard", `${id.shard} must be an integer in [0, 2^32)`);
  }
  if (!Number.isSafeInteger(id.startMs)) {
    throw new InvalidVolumeInputError("startMs", `${id.startMs} must be an integer`);
  }
  if (!Number.isSafeInteger(id.endMs) || id.endMs <= id.startMs) {
    throw new InvalidVolumeInputError(
      "endMs",
      `${id.endMs} must be an integer greater than startMs ${id.startMs}`,
    );
  }
  if (!Number.isSafeInteger(id.volume) || id.volume < 0 || id.volume >= U32_LIMIT) {
    throw new InvalidVolumeInputError("volume", `${id.volume} must be an integer in [0, 2^32)`);
  }
}

/** Throws unless the span is a whole number of blocks of `blockSizeMs`. */
export function checkBlockSize(id: PackedVolumeId, blockSizeMs: number): void {
  if (!Number.isSafeInteger(blockSizeMs) || blockSizeMs <= 0) {
    throw new InvalidVolumeInputError("blockSizeMs", `${blockSizeMs} must be an integer > 0`);
  }
  if ((id.endMs - id.startMs) % blockSizeMs !== 0) {
    throw new InvalidVolumeInputError(
      "blockSizeMs",
      `the span [${id.startMs}, ${id.endMs}) is not a whole number of ${blockSizeMs} ms blocks`,
    );
  }
}

export function packedVolumeLabel(id: PackedVolumeId): string {
  return `${id.namespace}/${packedVolumeFileName(id)}`;
}

// ---- header: 64 bytes at offset 0 ----

export interface PackedHeader {
  version: number;
  shard: number;
  volume: number;
  startMs: number;
  endMs: number;
  blockSizeMs: number;
  namespaceCrc: number;
  frameRawBytes: number;
  zstdLevel: number;
}

export function namespaceCrc(namespace: string): number {
  return crc32(Buffer.from(namespace, "utf8"));
}

export function encodeHeader(h: PackedHeader): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  const dv = new DataView(out.buffer);
  out.set(PACKED_MAGIC, 0);
  dv.setUint32(8, h.version, true);
  out.set(FORMAT_ID, 12);
  dv.setUint32(16, h.shard, true);
  dv.setUint32(20, h.volume, true);
  dv.setFloat64(24, h.startMs, true);
  dv.setFloat64(32, h.endMs, true);
  dv.setFloat64(40, h.blockSizeMs, true);
  dv.setUint32(48, h.namespaceCrc, true);
  dv.setUint32(52, h.frameRawBytes, true);
  dv.setInt32(56, h.zstdLevel, true);
  putU32(out, 60, crc32(out.subarray(0, 60)));
  return out;
}

/** Decodes the header; a reason string when it is not a valid one. */
export function decodeHeader(bytes: Uint8Array): PackedHeader | string {
  if (bytes.length !== HEADER_SIZE) return `length ${bytes.length}, expected ${HEADER_SIZE}`;
  const want = getU32(bytes, 60);
  const got = crc32(bytes.subarray(0, 60));
  if (want !== got) return `crc32 ${hex32(got)} does not match stored ${hex32(want)}`;
  if (!sameBytes(bytes, 0, PACKED_MAGIC)) return "bad magic (expected M3TSPACK)";
  if (!sameBytes(bytes, 12, FORMAT_ID)) return "bad format id (expected m3ts)";
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h: PackedHeader = {
    version: dv.getUint32(8, true),
    shard: dv.getUint32(16, true),
    volume: dv.getUint32(20, true),
    startMs: dv.getFloat64(24, true),
    endMs: dv.getFloat64(32, true),
    blockSizeMs: dv.getFloat64(40, true),
    namespaceCrc: dv.getUint32(48, true),
    frameRawBytes: dv.getUint32(52, true),
    zstdLevel: dv.getInt32(56, true),
  };
  if (h.version !== PACKED_FORMAT_VERSION) {
    return `unknown format version ${h.version} (this build reads ${PACKED_FORMAT_VERSION})`;
  }
  for (const key of ["startMs", "endMs", "blockSizeMs"] as const) {
    if (!Number.isSafeInteger(h[key])) return `${key} ${h[key]} is not an integer`;
  }
  if (h.blockSizeMs <= 0 || h.endMs <= h.startMs || (h.endMs - h.startMs) % h.blockSizeMs !== 0) {
    return `span [${h.startMs}, ${h.endMs}) is not a whole number of ${h.blockSizeMs} ms blocks`;
  }
  if (h.frameRawBytes < 1) return `frame bound ${h.frameRawBytes} must be > 0`;
  return h;
}

// ---- footer: 84 bytes at the end of the file ----

export interface PackedFooter {
  entries: number;
  frames: number;
  metadataChunks: number;
  headerCrc: number;
  framesOffset: number;
  framesLength: number;
  metadataOffset: number;
  metadataLength: number;
  directoryOffset: number;
  directoryLength: number;
  framesCrc: number;
  metadataCrc: number;
  directoryCrc: number;
}

export function encodeFooter(f: PackedFooter): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, f.entries, true);
  dv.setUint32(4, f.frames, true);
  dv.setUint32(8, f.metadataChunks, true);
  dv.setUint32(12, f.headerCrc, true);
  dv.setFloat64(16, f.framesOffset, true);
  dv.setFloat64(24, f.framesLength, true);
  dv.setFloat64(32, f.metadataOffset, true);
  dv.setFloat64(40, f.metadataLength, true);
  dv.setFloat64(48, f.directoryOffset, true);
  dv.setFloat64(56, f.directoryLength, true);
  dv.setUint32(64, f.framesCrc, true);
  dv.setUint32(68, f.metadataCrc, true);
  dv.setUint32(72, f.directoryCrc, true);
  out.set(FOOTER_MAGIC, 76);
  putU32(out, 80, crc32(out.subarray(0, 80)));
  return out;
}

/**
 * Decodes the footer of a file of `fileBytes` bytes and checks that the
 * sections it names tile the file: header, frames, metadata, directory,
 * footer, with no gap and nothing after. A reason string when they do not.
 */
export function decodeFooter(bytes: Uint8Array, fileBytes: number): PackedFooter | string {
  if (bytes.length !== FOOTER_SIZE) return `length ${bytes.length}, expected ${FOOTER_SIZE}`;
  const want = getU32(bytes, 80);
  const got = crc32(bytes.subarray(0, 80));
  if (want !== got) {
    return `crc32 ${hex32(got)} does not match stored ${hex32(want)} (a truncated or damaged file)`;
  }
  if (!sameBytes(bytes, 76, FOOTER_MAGIC)) return "bad footer magic (expected M3TE)";
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f: PackedFooter = {
    entries: dv.getUint32(0, true),
    frames: dv.getUint32(4, true),
    metadataChunks: dv.getUint32(8, true),
    headerCrc: dv.getUint32(12, true),
    framesOffset: dv.getFloat64(16, true),
    framesLength: dv.getFloat64(24, true),
    metadataOffset: dv.getFloat64(32, true),
    metadataLength: dv.getFloat64(40, true),
    directoryOffset: dv.getFloat64(48, true),
    directoryLength: dv.getFloat64(56, true),
    framesCrc: dv.getUint32(64, true),
    metadataCrc: dv.getUint32(68, true),
    directoryCrc: dv.getUint32(72, true),
  };
  const fields = [
    "framesOffset",
    "framesLength",
    "metadataOffset",
    "metadataLength",
    "directoryOffset",
    "directoryLength",
  ] as const;
  for (const key of fields) {
    if (!Number.isSafeInteger(f[key]) || f[key] < 0) return `bad ${key} ${f[key]}`;
  }
  if (
    f.framesOffset !== HEADER_SIZE ||
    f.metadataOffset !== f.framesOffset + f.framesLength ||
    f.directoryOffset !== f.metadataOffset + f.metadataLength ||
    f.directoryOffset + f.directoryLength + FOOTER_SIZE !== fileBytes
  ) {
    return `sections (frames ${f.framesOffset}+${f.framesLength}, metadata ${f.metadataOffset}+${f.metadataLength}, directory ${f.directoryOffset}+${f.directoryLength}) do not tile a file of ${fileBytes} bytes`;
  }
  if ((f.entries === 0) !== (f.frames === 0) || (f.entries === 0) !== (f.metadataChunks === 0)) {
    return `${f.entries} entries in ${f.frames} frames and ${f.metadataChunks} metadata chunks`;
  }
  if (f.frames > f.entries || f.metadataChunks > f.entries) {
    return `${f.frames} frames and ${f.metadataChunks} metadata chunks for ${f.entries} entries`;
  }
  return f;
}

// ---- directory: per-series columns, then the frame and chunk tables ----

/** One compressed unit (a frame or a metadata chunk) as the directory describes it. */
export interface SectionUnit {
  seriesCount: number;
  compressedLength: number;
  rawLength: number;
  crc: number;
}

/** The directory as the reader keeps it, in typed columns. */
export interface PackedDirectory {
  /** murmur3_32 (seed 0) of each series' ID, in ID order. */
  hashes: Uint32Array;
  kinds: Uint8Array;
  sizes: Uint32Array;
  /** First ordinal of each frame, plus the entry count at the end. */
  frameFirst: Uint32Array;
  /** Each frame's byte offset in the file, plus the frames section's end. */
  frameOffset: Float64Array;
  frameRaw: Float64Array;
  frameCrc: Uint32Array;
  chunkFirst: Uint32Array;
  chunkOffset: Float64Array;
  chunkRaw: Float64Array;
  chunkCrc: Uint32Array;
}

/** Kinds take the low two bits of a series' size field: size * 4 + kind. */
const KIND_BITS = 4;
/** Series data larger than this is refused: a reader keeps sizes in 32 bits. */
export const MAX_SERIES_BYTES = 2 ** 32 - 1;

/** Bytes the directory takes for these columns and tables. */
export function directorySize(
  sizes: ArrayLike<number>,
  n: number,
  frames: readonly SectionUnit[],
  chunks: readonly SectionUnit[],
): number {
  let bytes = 4 * n;
  for (let i = 0; i < n; i++) bytes += uvarintBytes(sizes[i] * KIND_BITS + 3);
  for (const u of frames) bytes += unitBytes(u);
  for (const u of chunks) bytes += unitBytes(u);
  return bytes;
}

function unitBytes(u: SectionUnit): number {
  return (
    uvarintBytes(u.seriesCount) + uvarintBytes(u.compressedLength) + uvarintBytes(u.rawLength) + 4
  );
}

export function uvarintBytes(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Encodes the directory into one buffer. */
export function encodeDirectory(
  hashes: Uint32Array,
  kinds: Uint8Array,
  sizes: Float64Array,
  n: number,
  frames: readonly SectionUnit[],
  chunks: readonly SectionUnit[],
): Uint8Array {
  // Sized for the largest kind, so the buffer is trimmed to what was written.
  const out = new Uint8Array(directorySize(sizes, n, frames, chunks));
  let off = 0;
  for (let i = 0; i < n; i++, off += 4) putU32(out, off, hashes[i]);
  for (let i = 0; i < n; i++) off = putUvarint(out, off, sizes[i] * KIND_BITS + kinds[i]);
  for (const u of [...frames, ...chunks]) {
    off = putUvarint(out, off, u.seriesCount);
    off = putUvarint(out, off, u.compressedLength);
    off = putUvarint(out, off, u.rawLength);
    putU32(out, off, u.crc);
    off += 4;
  }
  return out.subarray(0, off);
}

/**
 * Parses a directory whose crc32 already matched, and checks it against the
 * footer: counts, every unit's series and lengths summing to the totals, the
 * frames' raw lengths matching their series' sizes and the frame bound.
 */
export function parseDirectory(
  bytes: Uint8Array,
  footer: PackedFooter,
  header: PackedHeader,
): PackedDirectory | string {
  const n = footer.entries;
  const end = bytes.length;
  if (end < 5 * n) return `${end} bytes cannot hold ${n} entries`;
  const hashes = new Uint32Array(n);
  let off = 0;
  for (let i = 0; i < n; i++, off += 4) hashes[i] = getU32(bytes, off);
  const kinds = new Uint8Array(n);
  const sizes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    readUvarint(bytes, off, end);
    if (varint.off < 0) return `series ${i}: bad size`;
    const kind = varint.value % KIND_BITS;
    const size = Math.floor(varint.value / KIND_BITS);
    if (kind !== SERIES_KIND.m3tsz && kind !== SERIES_KIND.packed) {
      return `series ${i}: unknown data kind ${kind}`;
    }
    if (size === 0 || size > MAX_SERIES_BYTES) return `series ${i}: bad data size ${size}`;
    kinds[i] = kind;
    sizes[i] = size;
    off = varint.off;
  }
  const readUnits = (count: number, base: number, sectionLength: number, what: string) => {
    const first = new Uint32Array(count + 1);
    const offset = new Float64Array(count + 1);
    const raw = new Float64Array(count);
    const crc = new Uint32Array(count);
    let ordinal = 0;
    let pos = base;
    const fields = [0, 0, 0];
    for (let u = 0; u < count; u++) {
      for (let k = 0; k < 3; k++) {
        readUvarint(bytes, off, end);
        if (varint.off < 0) return `${what} ${u}: bad varint`;
        fields[k] = varint.value;
        off = varint.off;
      }
      if (off + 4 > end) return `${what} ${u}: cut short`;
      crc[u] = getU32(bytes, off);
      off += 4;
      const [seriesCount, compressed, rawLength] = fields;
      if (seriesCount === 0 || ordinal + seriesCount > n) {
        return `${what} ${u}: bad series count ${seriesCount}`;
      }
      if (compressed === 0 || rawLength === 0) return `${what} ${u}: empty`;
      first[u] = ordinal;
      offset[u] = pos;
      raw[u] = rawLength;
      ordinal += seriesCount;
      pos += compressed;
    }
    if (ordinal !== n) return `${what}s hold ${ordinal} series, the footer says ${n}`;
    if (pos !== base + sectionLength) {
      return `${what}s take ${pos - base} bytes, the section is ${sectionLength}`;
    }
    first[count] = n;
    offset[count] = pos;
    return { first, offset, raw, crc };
  };
  const frames = readUnits(footer.frames, footer.framesOffset, footer.framesLength, "frame");
  if (typeof frames === "string") return frames;
  const chunks = readUnits(
    footer.metadataChunks,
    footer.metadataOffset,
    footer.metadataLength,
    "metadata chunk",
  );
  if (typeof chunks === "string") return chunks;
  if (off !== end) return `${end - off} trailing bytes`;
  for (let f = 0; f < footer.frames; f++) {
    let sum = 0;
    for (let i = frames.first[f]; i < frames.first[f + 1]; i++) sum += sizes[i];
    if (sum !== frames.raw[f]) {
      return `frame ${f}: raw length ${frames.raw[f]}, its series hold ${sum}`;
    }
    if (frames.first[f + 1] - frames.first[f] > 1 && sum > header.frameRawBytes) {
      return `frame ${f}: ${sum} raw bytes over the bound ${header.frameRawBytes}`;
    }
  }
  return {
    hashes,
    kinds,
    sizes,
    frameFirst: frames.first,
    frameOffset: frames.offset,
    frameRaw: frames.raw,
    frameCrc: frames.crc,
    chunkFirst: chunks.first,
    chunkOffset: chunks.offset,
    chunkRaw: chunks.raw,
    chunkCrc: chunks.crc,
  };
}

// ---- metadata chunk: per series, the encoded tags and, when not derivable, the ID ----

/** Upper bound of one series' record in a metadata chunk. */
export function metadataRecordMaxSize(tagsLength: number, storedIdLength: number): number {
  return 2 * MAX_VARINT_BYTES + tagsLength + storedIdLength;
}

/**
 * Appends one series' metadata record: uvarint tags length, the tags, then
 * uvarint 0 when the ID is seriesIdOfEncodedTags(tags), else the ID's length
 * (never 0: IDs are not empty) and the ID.
 */
export function putMetadataRecord(
  dst: Uint8Array,
  off: number,
  tags: Uint8Array,
  storedId: Uint8Array | null,
): number {
  off = putUvarint(dst, off, tags.length);
  dst.set(tags, off);
  off += tags.length;
  if (storedId === null) return putUvarint(dst, off, 0);
  off = putUvarint(dst, off, storedId.length);
  dst.set(storedId, off);
  return off + storedId.length;
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}

function sameBytes(a: Uint8Array, at: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[at + i] !== b[i]) return false;
  return true;
}
