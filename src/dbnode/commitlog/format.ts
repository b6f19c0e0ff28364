// The commit log's on-disk format: file names, the file header, chunk headers,
// record types and the varints records use. docs/format/commitlog.md is the
// byte-by-byte description; this file and that page change together.
import { crc32 } from "node:zlib";

/** First eight bytes of every commit log file: "M3TSCLOG" in ASCII. */
export const MAGIC = new Uint8Array([0x4d, 0x33, 0x54, 0x53, 0x43, 0x4c, 0x4f, 0x47]);
export const FORMAT_VERSION = 1;

// File header: magic(8) version(u16) index(u64) createdAtMs(i64) crc32(u32), little endian.
const OFF_VERSION = 8;
const OFF_INDEX = 10;
const OFF_CREATED = 18;
const OFF_HEADER_CRC = 26;
export const FILE_HEADER_SIZE = 30;

// Chunk header: payloadLength(u32) crc32(length bytes)(u32) crc32(payload)(u32).
export const CHUNK_HEADER_SIZE = 12;

/** Record type bytes inside a chunk payload. */
export const RecordType = {
  SeriesMetadata: 1,
  Datapoint: 2,
} as const;

/** Largest series index, shard and length a record may carry (varints stop at 2^53 - 1). */
export const MAX_VARINT = Number.MAX_SAFE_INTEGER;
/** A varint of a value up to 2^53 - 1 takes at most 8 bytes (7 bits each). */
export const MAX_VARINT_BYTES = 8;
export const MAX_SHARD = 0xffff_ffff;
export const MAX_NS_IN_MS = 999_999;

/** Upper bound of a datapoint record's size without its annotation bytes. */
export const DATAPOINT_RECORD_MAX_FIXED = 1 + MAX_VARINT_BYTES + 8 + 3 + 8 + 1 + MAX_VARINT_BYTES;

const NAME_PATTERN = /^commitlog-(\d+)-(\d+)\.db$/;

/**
 * The file name of commit log `index`: `commitlog-0-<index>.db` (M3's naming,
 * CommitLogFilePath in src/dbnode/persist/fs/files.go).
 */
export function commitLogFileName(index: number): string {
  return `commitlog-0-${index}.db`;
}

/** The index a file name claims, or -1 when the name is not a commit log's. Names are not trusted for ordering. */
export function indexFromFileName(name: string): number {
  const m = NAME_PATTERN.exec(name);
  if (m === null) return -1;
  const index = Number(m[2]);
  return Number.isSafeInteger(index) ? index : -1;
}

/** The fixed-size header that starts every file. */
export function encodeFileHeader(index: number, createdAtMs: number): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_SIZE);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint16(OFF_VERSION, FORMAT_VERSION, true);
  dv.setBigUint64(OFF_INDEX, BigInt(index), true);
  // The clock is injected: keep a fractional or non-finite reading from breaking the header.
  const created = Number.isFinite(createdAtMs) ? Math.trunc(createdAtMs) : 0;
  dv.setBigInt64(OFF_CREATED, BigInt(created), true);
  dv.setUint32(OFF_HEADER_CRC, crc32(out.subarray(0, OFF_HEADER_CRC)), true);
  return out;
}

export interface FileHeader {
  index: number;
  createdAtMs: number;
}

/** Decodes a file header; returns the reason as a string when it is not a valid one. */
export function decodeFileHeader(bytes: Uint8Array): FileHeader | string {
  if (bytes.length < FILE_HEADER_SIZE) {
    return `file header truncated: ${bytes.length} of ${FILE_HEADER_SIZE} bytes`;
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) return "bad magic: not a m3ts commit log";
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_SIZE);
  const storedCrc = dv.getUint32(OFF_HEADER_CRC, true);
  const actualCrc = crc32(bytes.subarray(0, OFF_HEADER_CRC));
  if (storedCrc !== actualCrc) {
    return `file header checksum mismatch: stored ${hex32(storedCrc)}, computed ${hex32(actualCrc)}`;
  }
  const version = dv.getUint16(OFF_VERSION, true);
  if (version !== FORMAT_VERSION) {
    return `unsupported format version ${version} (this build reads ${FORMAT_VERSION})`;
  }
  const index = dv.getBigUint64(OFF_INDEX, true);
  if (index > BigInt(MAX_VARINT)) return `file index ${index} exceeds 2^53 - 1`;
  const created = dv.getBigInt64(OFF_CREATED, true);
  if (created > BigInt(MAX_VARINT) || created < -BigInt(MAX_VARINT)) {
    return `creation time ${created} ms is outside the safe integer range`;
  }
  return { index: Number(index), createdAtMs: Number(created) };
}

/** Fills the 12-byte chunk header at `buf[0..12)` for the payload `buf[12..12+payloadLength)`. */
export function writeChunkHeader(buf: Uint8Array, payloadLength: number): void {
  writeU32(buf, 0, payloadLength);
  writeU32(buf, 4, crc32(buf.subarray(0, 4)));
  writeU32(buf, 8, crc32(buf.subarray(CHUNK_HEADER_SIZE, CHUNK_HEADER_SIZE + payloadLength)));
}

export function writeU32(buf: Uint8Array, pos: number, v: number): void {
  buf[pos] = v & 0xff;
  buf[pos + 1] = (v >>> 8) & 0xff;
  buf[pos + 2] = (v >>> 16) & 0xff;
  buf[pos + 3] = v >>> 24;
}

export function readU32(buf: Uint8Array, pos: number): number {
  return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
}

/** Bytes the unsigned LEB128 varint of `v` takes (0 <= v <= 2^53 - 1). */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Writes `v` (an integer in 0..2^53-1) as an unsigned LEB128 varint at `pos`
 * and returns the position after it. The caller has made room (8 bytes).
 */
export function putVarint(buf: Uint8Array, pos: number, v: number): number {
  if (v < 0x80) {
    buf[pos] = v;
    return pos + 1;
  }
  // Above 2^31 the bit operators would truncate: peel 7-bit groups by division
  // until the rest fits 31 bits, then finish with shifts.
  while (v > 0x7fff_ffff) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/**
 * A reader's cursor over one chunk payload. Fields are read in place; a read
 * past `end` or a malformed varint sets `error` and returns 0, so decoding a
 * record is a straight run of reads followed by one check.
 */
export class PayloadCursor {
  buf: Uint8Array;
  pos: number;
  end: number;
  error: string;
  private readonly dv8: DataView;
  private readonly scratch: Uint8Array;

  constructor() {
    this.buf = new Uint8Array(0);
    this.pos = 0;
    this.end = 0;
    this.error = "";
    this.scratch = new Uint8Array(8);
    this.dv8 = new DataView(this.scratch.buffer);
  }

  reset(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.error = "";
  }

  u8(): number {
    if (this.pos >= this.end) return this.fail("record runs past the end of its chunk");
    return this.buf[this.pos++];
  }

  /** An unsigned LEB128 varint of at most 8 bytes whose value is at most 2^53 - 1. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.end) return this.fail("record runs past the end of its chunk");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > MAX_VARINT) return this.fail(`varint ${result} exceeds 2^53 - 1`);
        if (b === 0 && i > 0) return this.fail("overlong varint");
        return result;
      }
      scale *= 0x80;
    }
    return this.fail(`varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A little-endian float64, through a private 8-byte scratch so NaN payloads arrive intact. */
  f64(): number {
    if (this.pos + 8 > this.end) return this.fail("record runs past the end of its chunk");
    const s = this.scratch;
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < 8; i++) s[i] = b[p + i];
    this.pos = p + 8;
    return this.dv8.getFloat64(0, true);
  }

  /** Skips `n` bytes and returns where they start, or -1 if they run past the end. */
  skip(n: number): number {
    if (this.pos + n > this.end) {
      this.fail("record runs past the end of its chunk");
      return -1;
    }
    const start = this.pos;
    this.pos += n;
    return start;
  }

  private fail(reason: string): number {
    if (this.error === "") this.error = reason;
    this.pos = this.end;
    return 0;
  }
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}
