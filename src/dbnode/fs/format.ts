// The fileset's on-disk format: file names, varints, the info record, index
// entries and summaries. docs/format/fileset.md is the byte-by-byte
// description; this file and that page change together.

/** The seven files of a volume, in the order M3 names them (M3's src/dbnode/persist/fs/fs.go). */
export const FILE_TYPES = [
  "info",
  "index",
  "summaries",
  "bloomfilter",
  "data",
  "digest",
  "checkpoint",
] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** The files the digest file covers, in digest order (M3's src/dbnode/persist/fs/write.go). */
export const DIGESTED_FILES = ["info", "index", "summaries", "bloomfilter", "data"] as const;
export const DIGEST_FILE_SIZE = DIGESTED_FILES.length * 4;
export const CHECKPOINT_FILE_SIZE = 4;

/** Suffix of a file being written; renamed away once it is complete and synced. */
export const TEMP_SUFFIX = ".tmp";

export type VolumeKind = "data" | "snapshot";

/** The directory under root for a kind: `data` or `snapshots`, as M3. */
export function kindDir(kind: VolumeKind): string {
  return kind === "data" ? "data" : "snapshots";
}

/** `fileset-<blockStartMs>-<volume>-<type>.db` (M3 uses block start in ns; we use ms). */
export function fileName(blockStartMs: number, volume: number, type: FileType): string {
  return `fileset-${blockStartMs}-${volume}-${type}.db`;
}

const NAME_PATTERN =
  /^fileset-(-?\d+)-(\d+)-(info|index|summaries|bloomfilter|data|digest|checkpoint)\.db(\.tmp)?$/;

export interface ParsedName {
  blockStartMs: number;
  volume: number;
  type: FileType;
  temp: boolean;
}

/** Parses a fileset file name (final or temporary); null for anything else. */
export function parseFileName(name: string): ParsedName | null {
  const m = NAME_PATTERN.exec(name);
  if (m === null) return null;
  const blockStartMs = Number(m[1]);
  const volume = Number(m[2]);
  if (!Number.isSafeInteger(blockStartMs) || !Number.isSafeInteger(volume)) return null;
  return { blockStartMs, volume, type: m[3] as FileType, temp: m[4] !== undefined };
}

// ---- varints: unsigned LEB128, 7 bits a byte, values up to 2^53 - 1 ----

export const MAX_VARINT_BYTES = 8;

/** Writes `v` (0 <= v < 2^53) at `off`; returns the new end. */
export function putUvarint(dst: Uint8Array, off: number, v: number): number {
  while (v >= 0x80) {
    dst[off++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  dst[off++] = v;
  return off;
}

export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Result of readUvarint: the value and the offset after it; off = -1 when malformed or cut short. */
export const varint = { value: 0, off: 0 };

/** Reads a varint at `off` within [off, end) into `varint`; sets varint.off = -1 on failure. */
export function readUvarint(src: Uint8Array, off: number, end: number): void {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (off >= end) break;
    const b = src[off++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      varint.value = v;
      varint.off = v > Number.MAX_SAFE_INTEGER ? -1 : off;
      return;
    }
    mul *= 0x80;
  }
  varint.value = 0;
  varint.off = -1;
}

// ---- info: one fixed 68-byte record ----

/** "M3TSINFO" in ASCII. */
export const INFO_MAGIC = new Uint8Array([0x4d, 0x33, 0x54, 0x53, 0x49, 0x4e, 0x46, 0x4f]);
export const FORMAT_VERSION = 1;
export const INFO_SIZE = 68;

export interface VolumeInfo {
  blockStartMs: number;
  blockSizeMs: number;
  entries: number;
  summaries: number;
  bloomM: number;
  bloomK: number;
  version: number;
  snapshotTimeMs: number;
}

export function encodeInfo(info: VolumeInfo, crc32: (b: Uint8Array) => number): Uint8Array {
  const out = new Uint8Array(INFO_SIZE);
  const dv = new DataView(out.buffer);
  out.set(INFO_MAGIC, 0);
  dv.setUint32(8, info.version, true);
  dv.setUint32(12, info.bloomK, true);
  dv.setFloat64(16, info.blockStartMs, true);
  dv.setFloat64(24, info.blockSizeMs, true);
  dv.setFloat64(32, info.entries, true);
  dv.setFloat64(40, info.summaries, true);
  dv.setFloat64(48, info.bloomM, true);
  dv.setFloat64(56, info.snapshotTimeMs, true);
  dv.setUint32(64, crc32(out.subarray(0, 64)), true);
  return out;
}

/** Decodes an info record; returns a reason string when it is not a valid one. */
export function decodeInfo(
  bytes: Uint8Array,
  crc32: (b: Uint8Array) => number,
): VolumeInfo | string {
  if (bytes.length !== INFO_SIZE) return `length ${bytes.length}, expected ${INFO_SIZE}`;
  for (let i = 0; i < INFO_MAGIC.length; i++) {
    if (bytes[i] !== INFO_MAGIC[i]) return "bad magic (expected M3TSINFO)";
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const want = dv.getUint32(64, true);
  const got = crc32(bytes.subarray(0, 64));
  if (want !== got) return `record crc32 ${hex32(got)} does not match stored ${hex32(want)}`;
  const info: VolumeInfo = {
    version: dv.getUint32(8, true),
    bloomK: dv.getUint32(12, true),
    blockStartMs: dv.getFloat64(16, true),
    blockSizeMs: dv.getFloat64(24, true),
    entries: dv.getFloat64(32, true),
    summaries: dv.getFloat64(40, true),
    bloomM: dv.getFloat64(48, true),
    snapshotTimeMs: dv.getFloat64(56, true),
  };
  if (info.version !== FORMAT_VERSION) {
    return `unknown format version ${info.version} (this build reads ${FORMAT_VERSION})`;
  }
  for (const key of ["entries", "summaries", "bloomM"] as const) {
    if (!Number.isSafeInteger(info[key]) || info[key] < 0) return `bad ${key} ${info[key]}`;
  }
  if (info.bloomM < 1 || info.bloomK < 1) return `bad bloom m=${info.bloomM} k=${info.bloomK}`;
  return info;
}

// ---- index entries ----

/** Fixed tail of an index entry: stream crc32 then entry crc32. */
export const ENTRY_TRAILER = 8;

/** Upper bound of an encoded entry's size for an id and tags of these lengths. */
export function entryMaxSize(idLength: number, tagsLength: number): number {
  return MAX_VARINT_BYTES * 6 + idLength + tagsLength + ENTRY_TRAILER;
}

/** One decoded index entry; id and tags are views into the buffer it was read from. */
export interface IndexEntry {
  ordinal: number;
  id: Uint8Array;
  tags: Uint8Array;
  dataOffset: number;
  dataSize: number;
  streamCrc: number;
  /** Offset just past the entry in the source buffer. */
  end: number;
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}

/**
 * Writes one index entry at `off` and returns the new end: uvarint body
 * length, then the body (ordinal, id, tags, data offset, data size, stream
 * crc32) and a crc32 over every byte of the entry before it.
 */
export function putEntry(
  dst: Uint8Array,
  off: number,
  ordinal: number,
  id: Uint8Array,
  tags: Uint8Array,
  dataOffset: number,
  dataSize: number,
  streamCrc: number,
  crc32: (b: Uint8Array) => number,
): number {
  const bodySize =
    uvarintSize(ordinal) +
    uvarintSize(id.length) +
    id.length +
    uvarintSize(tags.length) +
    tags.length +
    uvarintSize(dataOffset) +
    uvarintSize(dataSize) +
    ENTRY_TRAILER;
  const start = off;
  off = putUvarint(dst, off, bodySize);
  off = putUvarint(dst, off, ordinal);
  off = putUvarint(dst, off, id.length);
  dst.set(id, off);
  off += id.length;
  off = putUvarint(dst, off, tags.length);
  dst.set(tags, off);
  off += tags.length;
  off = putUvarint(dst, off, dataOffset);
  off = putUvarint(dst, off, dataSize);
  putU32(dst, off, streamCrc);
  off += 4;
  putU32(dst, off, crc32(dst.subarray(start, off)));
  return off + 4;
}

/** readEntry's answer when the buffer ends inside the entry: read more and retry. */
export const NEED_MORE = "need more bytes";

/**
 * Decodes the entry at `off` within [off, end) into `out`. Returns null when
 * it is whole and its checksum holds, NEED_MORE when the buffer ends inside
 * it, or a reason when it is malformed.
 */
export function readEntry(
  src: Uint8Array,
  off: number,
  end: number,
  out: IndexEntry,
  crc32: (b: Uint8Array) => number,
): string | null {
  const start = off;
  readUvarint(src, off, end);
  if (varint.off < 0) return end - off < MAX_VARINT_BYTES ? NEED_MORE : "bad entry length";
  const bodySize = varint.value;
  const bodyStart = varint.off;
  if (bodySize < 5 + ENTRY_TRAILER) return `entry length ${bodySize} is too small`;
  const entryEnd = bodyStart + bodySize;
  if (entryEnd > end) return NEED_MORE;
  const crcAt = entryEnd - 4;
  const want = getU32(src, crcAt);
  const got = crc32(src.subarray(start, crcAt));
  if (want !== got) {
    return `entry crc32 ${hex32(got)} does not match stored ${hex32(want)}`;
  }
  const fieldsEnd = entryEnd - ENTRY_TRAILER;
  off = bodyStart;
  readUvarint(src, off, fieldsEnd);
  if (varint.off < 0) return "bad ordinal";
  out.ordinal = varint.value;
  readUvarint(src, varint.off, fieldsEnd);
  if (varint.off < 0 || varint.off + varint.value > fieldsEnd) return "bad id length";
  out.id = src.subarray(varint.off, varint.off + varint.value);
  off = varint.off + varint.value;
  readUvarint(src, off, fieldsEnd);
  if (varint.off < 0 || varint.off + varint.value > fieldsEnd) return "bad tags length";
  out.tags = src.subarray(varint.off, varint.off + varint.value);
  off = varint.off + varint.value;
  readUvarint(src, off, fieldsEnd);
  if (varint.off < 0) return "bad data offset";
  out.dataOffset = varint.value;
  readUvarint(src, varint.off, fieldsEnd);
  if (varint.off !== fieldsEnd) return "bad data size or trailing bytes in entry";
  out.dataSize = varint.value;
  out.streamCrc = getU32(src, fieldsEnd);
  out.end = entryEnd;
  return null;
}

// ---- summaries: every Nth entry's ordinal, id and index-file offset ----

/** Writes one summary at `off`; returns the new end. */
export function putSummary(
  dst: Uint8Array,
  off: number,
  ordinal: number,
  id: Uint8Array,
  indexOffset: number,
): number {
  off = putUvarint(dst, off, ordinal);
  off = putUvarint(dst, off, id.length);
  dst.set(id, off);
  off += id.length;
  return putUvarint(dst, off, indexOffset);
}

export function putU32(dst: Uint8Array, off: number, v: number): void {
  dst[off] = v & 0xff;
  dst[off + 1] = (v >>> 8) & 0xff;
  dst[off + 2] = (v >>> 16) & 0xff;
  dst[off + 3] = (v >>> 24) & 0xff;
}

export function getU32(src: Uint8Array, off: number): number {
  return (src[off] | (src[off + 1] << 8) | (src[off + 2] << 16) | (src[off + 3] << 24)) >>> 0;
}

/** Bytewise order of two IDs (a shorter prefix first), as Buffer.compare but without the native call. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return compareRange(a, 0, a.length, b);
}

/** Compares a[start, end) with the whole of b, bytewise. */
export function compareRange(a: Uint8Array, start: number, end: number, b: Uint8Array): number {
  const aLen = end - start;
  const n = Math.min(aLen, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[start + i] - b[i];
    if (d !== 0) return d;
  }
  return aLen - b.length;
}
