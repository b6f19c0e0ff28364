// The m3ts index volume: one file per volume, a fixed header and the sealed
// segment as one zstd frame. The index segment repeats every series' tags, so
// it compresses some 25× on node_exporter-like label sets, and one file in
// place of four leaves a block a single directory entry. Byte layout:
// docs/format/index-volume-m3ts.md. Here: the bytes, and writing, reading
// and removing the file; index-volume.ts lists both formats and picks one.
import { join } from "node:path";
import { crc32 } from "node:zlib";
import binding from "zstd-napi/binding.js";
import type { FileHandle, FileSystem } from "../../x/index.js";
import { listDir, readOrNull } from "./files.js";
import { TEMP_SUFFIX } from "./format.js";
import {
  IndexVolumeCorruptError,
  type IndexVolumeId,
  type IndexVolumeInfo,
  IndexVolumeMissingError,
  indexVolumeDir,
  indexVolumeM3tsPath,
  m3tsFileName,
  namespaceCrc,
  type ReadIndexVolumeInfo,
} from "./index-volume-id.js";
import { syncDir, unlinkIfPresent, writeWholeFile } from "./writer.js";

/** "M3TSIXVF" in ASCII: an m3ts index volume file. */
const MAGIC = Buffer.from("M3TSIXVF", "latin1");
export const M3TS_INDEX_VOLUME_VERSION = 1;
/** The payload is an index segment (docs/format/index-segment.md) as one zstd frame. */
export const M3TS_PAYLOAD_ZSTD_SEGMENT = 1;
export const M3TS_INDEX_HEADER_SIZE = 76;
/** The header checksum covers the bytes before it. */
const HEADER_CRC_AT = M3TS_INDEX_HEADER_SIZE - 4;
/**
 * zstd level 9, measured on node_exporter-like series (188-byte IDs, a
 * segment of ~210 bytes per series): 1 500 series take 9.0 bytes per series
 * where level 3 takes 11.0 and level 15 8.9, the whole write 4.4 ms against
 * 2.7 and 8.2; 100 000 series 5.5 bytes against 6.2 and 5.2, the write
 * 62 ms against 21 and 167 (the seal itself takes 190 ms). Level 19 takes
 * seconds. A volume is written once per index block, so the bytes win.
 */
export const DEFAULT_INDEX_ZSTD_LEVEL = 9;
const NAME_PATTERN = /^index-(-?\d+)-(-?\d+)-(\d+)\.m3ts(\.tmp)?$/;

/** The span an m3ts volume covers, [blockStartMs, endMs). */
export type M3tsVolumeId = IndexVolumeId & { endMs: number };

/** A section of the file and why it failed its check. */
export interface M3tsFailure {
  section: "header" | "segment";
  reason: string;
}

/** What the header records beside what the file name says. */
interface M3tsHeader {
  blockStartMs: number;
  endMs: number;
  blockSizeMs: number;
  volume: number;
  docs: number;
  namespaceCrc: number;
  payloadCrc: number;
  segmentBytes: number;
  compressedBytes: number;
}

/** The start, end and volume a file name gives, and whether it is a temp file; null for other names. */
export function parseM3tsFileName(
  name: string,
): { blockStartMs: number; endMs: number; volume: number; temp: boolean } | null {
  const m = NAME_PATTERN.exec(name);
  if (m === null) return null;
  const blockStartMs = Number(m[1]);
  const endMs = Number(m[2]);
  const volume = Number(m[3]);
  if (![blockStartMs, endMs, volume].every(Number.isSafeInteger)) return null;
  return { blockStartMs, endMs, volume, temp: m[4] !== undefined };
}

// One context each, reused: zstd's contexts hold megabytes of tables that a
// fresh one per volume would allocate again.
let cctx: InstanceType<typeof binding.CCtx> | null = null;
let dctx: InstanceType<typeof binding.DCtx> | null = null;

/** The whole file: header, then `segment` compressed at `level`. `info.endMs` must be set and checked. */
export function encodeM3tsVolume(
  info: IndexVolumeInfo & { endMs: number },
  segment: Uint8Array,
  level: number,
): Uint8Array {
  cctx ??= new binding.CCtx();
  const file = new Uint8Array(M3TS_INDEX_HEADER_SIZE + binding.compressBound(segment.length));
  const compressedBytes = cctx.compress(file.subarray(M3TS_INDEX_HEADER_SIZE), segment, level);
  const out = file.subarray(0, M3TS_INDEX_HEADER_SIZE + compressedBytes);
  const payload = out.subarray(M3TS_INDEX_HEADER_SIZE);
  const dv = new DataView(out.buffer, out.byteOffset, M3TS_INDEX_HEADER_SIZE);
  out.set(MAGIC, 0);
  dv.setUint32(8, M3TS_INDEX_VOLUME_VERSION, true);
  dv.setUint32(12, M3TS_PAYLOAD_ZSTD_SEGMENT, true);
  dv.setFloat64(16, info.blockStartMs, true);
  dv.setFloat64(24, info.endMs, true);
  dv.setFloat64(32, info.blockSizeMs, true);
  dv.setUint32(40, info.volume, true);
  dv.setUint32(44, info.docs, true);
  dv.setUint32(48, namespaceCrc(info.namespace), true);
  dv.setUint32(52, crc32(payload), true);
  dv.setFloat64(56, segment.length, true);
  dv.setFloat64(64, compressedBytes, true);
  dv.setUint32(HEADER_CRC_AT, crc32(out.subarray(0, HEADER_CRC_AT)), true);
  return out;
}

/**
 * The header of a file of `fileBytes` bytes whose first bytes are `head`,
 * when it is intact: magic, version, payload kind, checksum, field ranges and
 * the file's length. Whom the header names is checked apart (checkIdentity),
 * so that a volume in the wrong place lists as complete yet is refused.
 */
function checkHeader(head: Uint8Array, fileBytes: number): M3tsHeader | M3tsFailure {
  const header = (reason: string): M3tsFailure => ({ section: "header", reason });
  if (fileBytes < M3TS_INDEX_HEADER_SIZE) {
    return header(
      `truncated: the file has ${fileBytes} bytes, the header ${M3TS_INDEX_HEADER_SIZE}`,
    );
  }
  if (!MAGIC.equals(head.subarray(0, 8))) return header("bad magic");
  const dv = new DataView(head.buffer, head.byteOffset, M3TS_INDEX_HEADER_SIZE);
  const stored = dv.getUint32(HEADER_CRC_AT, true);
  if (crc32(head.subarray(0, HEADER_CRC_AT)) !== stored) {
    return header("crc32 does not match the header's bytes");
  }
  const version = dv.getUint32(8, true);
  if (version !== M3TS_INDEX_VOLUME_VERSION) {
    return header(`format version ${version} is not the supported ${M3TS_INDEX_VOLUME_VERSION}`);
  }
  const payloadKind = dv.getUint32(12, true);
  if (payloadKind !== M3TS_PAYLOAD_ZSTD_SEGMENT) {
    return header(`payload kind ${payloadKind} is not the supported ${M3TS_PAYLOAD_ZSTD_SEGMENT}`);
  }
  const h: M3tsHeader = {
    blockStartMs: dv.getFloat64(16, true),
    endMs: dv.getFloat64(24, true),
    blockSizeMs: dv.getFloat64(32, true),
    volume: dv.getUint32(40, true),
    docs: dv.getUint32(44, true),
    namespaceCrc: dv.getUint32(48, true),
    payloadCrc: dv.getUint32(52, true),
    segmentBytes: dv.getFloat64(56, true),
    compressedBytes: dv.getFloat64(64, true),
  };
  const spanFailure = checkSpan(h.blockStartMs, h.endMs, h.blockSizeMs);
  if (spanFailure !== null) return header(spanFailure);
  if (!Number.isSafeInteger(h.segmentBytes) || h.segmentBytes < 0) {
    return header(`segment length ${h.segmentBytes} is not an integer >= 0`);
  }
  if (!Number.isSafeInteger(h.compressedBytes) || h.compressedBytes < 0) {
    return header(`compressed length ${h.compressedBytes} is not an integer >= 0`);
  }
  const payloadBytes = fileBytes - M3TS_INDEX_HEADER_SIZE;
  if (payloadBytes !== h.compressedBytes) {
    const what = payloadBytes < h.compressedBytes ? "truncated" : "trailing bytes";
    return {
      section: "segment",
      reason: `${what}: ${payloadBytes} bytes follow the header, it records ${h.compressedBytes}`,
    };
  }
  return h;
}

/**
 * Why [startMs, endMs) is not a span of whole index blocks of `blockSizeMs`, or null.
 * A compaction may write a volume over several blocks; never a part of one.
 */
export function checkSpan(startMs: number, endMs: number, blockSizeMs: number): string | null {
  if (!Number.isSafeInteger(blockSizeMs) || blockSizeMs <= 0) {
    return `block size ${blockSizeMs} is not a positive integer`;
  }
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs) || endMs <= startMs) {
    return `span [${startMs}, ${endMs}) is not a non-empty span of integers`;
  }
  if ((endMs - startMs) % blockSizeMs !== 0) {
    return `span [${startMs}, ${endMs}) is not a whole number of ${blockSizeMs} ms blocks`;
  }
  return null;
}

/** The header names the volume its file is named for and the namespace whose directory holds it; a reason if not. */
function checkIdentity(h: M3tsHeader, id: M3tsVolumeId): string | null {
  if (h.blockStartMs !== id.blockStartMs || h.endMs !== id.endMs || h.volume !== id.volume) {
    return `records block ${h.blockStartMs} to ${h.endMs} volume ${h.volume} but its file is named for block ${id.blockStartMs} to ${id.endMs} volume ${id.volume}`;
  }
  if (h.namespaceCrc !== namespaceCrc(id.namespace)) {
    return `records another namespace than ${JSON.stringify(id.namespace)}, whose directory holds it`;
  }
  return null;
}

/** Checks a whole file and decompresses its segment; the failing section and why if a check fails. */
export function decodeM3tsVolume(
  file: Uint8Array,
  id: M3tsVolumeId,
): { info: IndexVolumeInfo & { endMs: number }; segment: Uint8Array } | M3tsFailure {
  const h = checkHeader(file, file.length);
  if ("reason" in h) return h;
  const identity = checkIdentity(h, id);
  if (identity !== null) return { section: "header", reason: identity };
  const payload = file.subarray(M3TS_INDEX_HEADER_SIZE);
  if (crc32(payload) !== h.payloadCrc) {
    return { section: "segment", reason: "crc32 does not match the header" };
  }
  // Exactly the recorded length: a frame that claims more fails here rather
  // than allocating what it claims.
  const segment = new Uint8Array(h.segmentBytes);
  let n: number;
  try {
    dctx ??= new binding.DCtx();
    n = dctx.decompress(segment, payload);
  } catch (err) {
    return { section: "segment", reason: `zstd: ${err instanceof Error ? err.message : err}` };
  }
  if (n !== h.segmentBytes) {
    return {
      section: "segment",
      reason: `decompresses to ${n} bytes, the header records ${h.segmentBytes}`,
    };
  }
  const info = {
    namespace: id.namespace,
    blockStartMs: h.blockStartMs,
    blockSizeMs: h.blockSizeMs,
    volume: h.volume,
    docs: h.docs,
    segmentBytes: h.segmentBytes,
    endMs: h.endMs,
  };
  return { info, segment };
}

/**
 * Whether the file at `path` is a complete volume: present, its header
 * intact and its length what the header records. Reads the header only; the
 * payload's checksum and whom the header names are checked when it is read.
 */
export async function m3tsVolumeComplete(fs: FileSystem, path: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path, "r");
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return false;
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return false;
    const head = new Uint8Array(M3TS_INDEX_HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < Math.min(st.size, head.length)) return false;
    return !("reason" in checkHeader(head, st.size));
  } finally {
    await fh.close();
  }
}

/** Writes the one file via temp name, fsync and rename, then syncs the directory. */
export async function writeM3tsIndexVolume(
  root: string,
  info: ReadIndexVolumeInfo,
  segment: Uint8Array,
  level: number,
  fs: FileSystem,
): Promise<void> {
  const dir = indexVolumeDir(root, info.namespace);
  const path = indexVolumeM3tsPath(root, info);
  const bytes = encodeM3tsVolume(info, segment, level);
  try {
    await writeWholeFile(fs, path, bytes);
    await syncDir(fs, dir);
  } catch (err) {
    await fs.unlink(path + TEMP_SUFFIX).catch(() => undefined);
    throw err;
  }
}

/** Reads and checks an m3ts volume; IndexVolumeCorruptError names the section that fails. */
export async function readM3tsIndexVolume(
  root: string,
  id: M3tsVolumeId,
  fs: FileSystem,
): Promise<{ info: ReadIndexVolumeInfo; segment: Uint8Array }> {
  const path = indexVolumeM3tsPath(root, id);
  const file = await readOrNull(fs, path);
  if (file === null) throw new IndexVolumeMissingError(id, path);
  const got = decodeM3tsVolume(file, id);
  if ("reason" in got) {
    throw new IndexVolumeCorruptError(id, got.section, got.reason, m3tsFileName(id));
  }
  return got;
}

/** Deletes the m3ts files (final and temp) of a volume number in `dir`, but for the span ending at `keepEndMs`. */
export async function removeM3tsFiles(
  fs: FileSystem,
  dir: string,
  id: IndexVolumeId,
  keepEndMs: number | undefined,
): Promise<void> {
  for (const name of await listDir(fs, dir)) {
    const p = parseM3tsFileName(name);
    if (p === null || p.blockStartMs !== id.blockStartMs || p.volume !== id.volume) continue;
    if (p.endMs === keepEndMs) continue;
    await unlinkIfPresent(fs, join(dir, name));
  }
}
