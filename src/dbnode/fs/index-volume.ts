// Index volumes: a namespace's sealed index block on disk (M3 writes its index
// filesets in src/dbnode/persist/fs/index_write.go), beside the data filesets,
// in one of two formats. "m3": four files per volume, `info` (what the volume
// is), `segment` (the sealed segment's bytes, opaque here: their format is
// docs/format/index-segment.md), `digest` (crc32 of info and segment) and
// `checkpoint` (crc32 of the digest), written last so that a volume is
// complete exactly when its checkpoint matches (docs/format/fileset.md, "Index
// volumes"). "m3ts": one file, a header and the segment compressed
// (index-volume-m3ts.ts, docs/format/index-volume-m3ts.md). A volume is named
// by namespace, block start and volume number whatever its format: writing
// one format removes the other's files of that number, so at most one of them
// is complete.
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { FileSystem } from "../../x/index.js";
import { M3tsError } from "../../x/index.js";
import { InvalidVolumeInputError } from "./errors.js";
import { listDir, readOrNull } from "./files.js";
import { CHECKPOINT_FILE_SIZE, getU32, putU32, TEMP_SUFFIX } from "./format.js";
import {
  checkSpan,
  DEFAULT_INDEX_ZSTD_LEVEL,
  decodeM3tsVolume,
  encodeM3tsVolume,
  type M3tsVolumeId,
  m3tsFileName,
  m3tsVolumeComplete,
  namespaceCrc,
  parseM3tsFileName,
} from "./index-volume-m3ts.js";
import { checkVolumeId, io, syncDir, unlinkIfPresent, writeWholeFile } from "./writer.js";

export const INDEX_VOLUME_FORMATS = ["m3", "m3ts"] as const;
export type IndexVolumeFormat = (typeof INDEX_VOLUME_FORMATS)[number];

export interface IndexVolumeId {
  namespace: string;
  blockStartMs: number;
  volume: number;
}

/**
 * A volume and what the caller may know of where it is: its format and, for
 * the m3ts format, the end of its span (both as listIndexVolumes gives them).
 * Without them the directory is searched.
 */
export interface IndexVolumeRef extends IndexVolumeId {
  format?: IndexVolumeFormat;
  endMs?: number;
}

export interface IndexVolumeInfo extends IndexVolumeId {
  /** The namespace's index block size when the volume was written. */
  blockSizeMs: number;
  /** Documents (series) in the segment. */
  docs: number;
  /** Length of the segment, uncompressed. */
  segmentBytes: number;
  /**
   * End of the span the volume covers, exclusive: blockStartMs + blockSizeMs
   * when absent. Only the m3ts format holds a span of several blocks (a
   * compaction's); read always sets it.
   */
  endMs?: number;
}

/** A volume as read: its info with the end of its span known. */
export type ReadIndexVolumeInfo = IndexVolumeInfo & { endMs: number };

/**
 * A volume found on disk: `paths` are all its files. An m3 volume is
 * `complete` when its checkpoint matches its digest; an m3ts one when its
 * file is there under its final name with an intact header and the length
 * that header records.
 */
export type ListedIndexVolume = IndexVolumeId & { complete: boolean; paths: string[] } & (
    | { format: "m3" }
    | { format: "m3ts"; endMs: number }
  );

export interface WriteIndexVolumeOptions {
  /** "m3" (four files, M3's layout) unless set. */
  format?: IndexVolumeFormat;
  /** zstd level of the m3ts format's segment; DEFAULT_INDEX_ZSTD_LEVEL unless set. */
  zstdLevel?: number;
}

export const INDEX_VOLUME_FILE_TYPES = ["info", "segment", "digest", "checkpoint"] as const;
export type IndexVolumeFileType = (typeof INDEX_VOLUME_FILE_TYPES)[number];

/** "M3TSIXVI" in ASCII. */
const INFO_MAGIC = Buffer.from("M3TSIXVI", "latin1");
export const INDEX_VOLUME_VERSION = 1;
export const INDEX_INFO_SIZE = 48;
export const INDEX_DIGEST_SIZE = 8;
const NAME_PATTERN = /^fileset-(-?\d+)-(\d+)-(info|segment|digest|checkpoint)\.db(\.tmp)?$/;

function label(id: IndexVolumeId): string {
  return `${id.namespace} block ${id.blockStartMs} volume ${id.volume}`;
}

/**
 * An index volume failed a check: the volume is not loaded. `file` is the
 * m3 format's file at fault, or the section ("header", "segment") of the
 * m3ts format's one file, whose name `fileName` then holds.
 */
export class IndexVolumeCorruptError extends M3tsError {
  readonly volume: IndexVolumeId;
  readonly format: IndexVolumeFormat;
  readonly file: IndexVolumeFileType | "header";
  readonly fileName: string | null;
  readonly reason: string;

  constructor(
    volume: IndexVolumeId,
    file: IndexVolumeFileType | "header",
    reason: string,
    m3tsFile: string | null = null,
  ) {
    const where = m3tsFile === null ? `${file} file` : `${m3tsFile} ${file}`;
    super(
      "M3TS_ERR_INDEX_VOLUME_CORRUPT",
      `index volume ${label(volume)} is corrupt: ${where}: ${reason}`,
    );
    this.volume = {
      namespace: volume.namespace,
      blockStartMs: volume.blockStartMs,
      volume: volume.volume,
    };
    this.format = m3tsFile === null ? "m3" : "m3ts";
    this.file = file;
    this.fileName = m3tsFile;
    this.reason = reason;
  }
}

/** The volume has no checkpoint (m3) or no file (m3ts): it was never completed, or was removed. */
export class IndexVolumeMissingError extends M3tsError {
  readonly volume: IndexVolumeId;
  /** The checkpoint file, or the m3ts volume file, that is not there. */
  readonly path: string;

  constructor(volume: IndexVolumeId, path: string) {
    const what = path.endsWith(".m3ts") ? "volume" : "checkpoint";
    super(
      "M3TS_ERR_INDEX_VOLUME_MISSING",
      `index volume ${label(volume)} is not complete: no ${what} file at ${path}`,
    );
    this.volume = {
      namespace: volume.namespace,
      blockStartMs: volume.blockStartMs,
      volume: volume.volume,
    };
    this.path = path;
  }
}

/** `<root>/index/data/<namespace>`, as M3 lays out index filesets. */
export function indexVolumeDir(root: string, namespace: string): string {
  return join(root, "index", "data", namespace);
}

/** Path of one file of an index volume. */
export function indexVolumePath(
  root: string,
  id: IndexVolumeId,
  type: IndexVolumeFileType,
): string {
  return join(
    indexVolumeDir(root, id.namespace),
    `fileset-${id.blockStartMs}-${id.volume}-${type}.db`,
  );
}

/** Path of an m3ts index volume's one file, covering [blockStartMs, endMs). */
export function indexVolumeM3tsPath(root: string, id: IndexVolumeId & { endMs: number }): string {
  return join(indexVolumeDir(root, id.namespace), m3tsFileName(id));
}

/** Checks what is to be written; returns the end of the volume's span. */
function checkInfo(info: IndexVolumeInfo, segment: Uint8Array, format: IndexVolumeFormat): number {
  const fail = (field: string, what: string) => {
    throw new InvalidVolumeInputError(field, what);
  };
  // Namespace, block start and volume follow the data filesets' rules; an
  // index volume has no shard, so any valid one stands in.
  checkVolumeId({ ...info, shard: 0 });
  if (info.volume > 0xffffffff) fail("volume", `${info.volume} must be at most 2^32 - 1`);
  if (!Number.isSafeInteger(info.blockSizeMs) || info.blockSizeMs <= 0) {
    fail("blockSizeMs", `${info.blockSizeMs} must be an integer > 0`);
  }
  if (!Number.isInteger(info.docs) || info.docs < 0 || info.docs > 0xffffffff) {
    fail("docs", `${info.docs} must be an integer from 0 to 2^32 - 1`);
  }
  if (info.segmentBytes !== segment.length) {
    fail("segmentBytes", `${info.segmentBytes} differs from the segment's ${segment.length} bytes`);
  }
  const endMs = info.endMs ?? info.blockStartMs + info.blockSizeMs;
  if (format === "m3" && endMs !== info.blockStartMs + info.blockSizeMs) {
    fail(
      "endMs",
      `${endMs}: an m3 format volume covers one block, to ${info.blockStartMs + info.blockSizeMs}`,
    );
  }
  const span = checkSpan(info.blockStartMs, endMs, info.blockSizeMs);
  if (span !== null) fail("endMs", span);
  return endMs;
}

// The records do not spell the namespace out; they keep the crc32 of its
// UTF-8 bytes (namespaceCrc), enough to catch a volume copied or moved into
// another namespace's directory while keeping the record a fixed size.

function encodeIndexInfo(info: IndexVolumeInfo): Uint8Array {
  const out = new Uint8Array(INDEX_INFO_SIZE);
  const dv = new DataView(out.buffer);
  out.set(INFO_MAGIC, 0);
  dv.setUint32(8, INDEX_VOLUME_VERSION, true);
  dv.setUint32(12, info.docs, true);
  dv.setFloat64(16, info.blockStartMs, true);
  dv.setFloat64(24, info.blockSizeMs, true);
  dv.setUint32(32, info.volume, true);
  dv.setUint32(36, namespaceCrc(info.namespace), true);
  dv.setFloat64(40, info.segmentBytes, true);
  return out;
}

/** The info record of `bytes`, checked against the volume its file is named for; a reason string if it fails. */
function decodeIndexInfo(bytes: Uint8Array, id: IndexVolumeId): IndexVolumeInfo | string {
  if (bytes.length !== INDEX_INFO_SIZE) return `${bytes.length} bytes, expected ${INDEX_INFO_SIZE}`;
  if (!INFO_MAGIC.equals(bytes.subarray(0, 8))) return "bad magic";
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== INDEX_VOLUME_VERSION) {
    return `format version ${version} is not the supported ${INDEX_VOLUME_VERSION}`;
  }
  const info: IndexVolumeInfo = {
    namespace: id.namespace,
    docs: dv.getUint32(12, true),
    blockStartMs: dv.getFloat64(16, true),
    blockSizeMs: dv.getFloat64(24, true),
    volume: dv.getUint32(32, true),
    segmentBytes: dv.getFloat64(40, true),
  };
  if (info.blockStartMs !== id.blockStartMs || info.volume !== id.volume) {
    return `records block ${info.blockStartMs} volume ${info.volume} but its file is named for block ${id.blockStartMs} volume ${id.volume}`;
  }
  if (dv.getUint32(36, true) !== namespaceCrc(id.namespace)) {
    return `records another namespace than ${JSON.stringify(id.namespace)}, whose directory holds it`;
  }
  if (!Number.isSafeInteger(info.blockSizeMs) || info.blockSizeMs <= 0) {
    return `block size ${info.blockSizeMs} is not a positive integer`;
  }
  if (!Number.isSafeInteger(info.segmentBytes) || info.segmentBytes < 0) {
    return `segment length ${info.segmentBytes} is not an integer >= 0`;
  }
  return info;
}

/**
 * Writes a complete index volume in `options.format` ("m3" unless set).
 * Writing a volume number that exists, in either format, replaces it: the
 * old volume stops being complete before any new file is in place, so the
 * number is never complete with mixed or two sets of files.
 *
 * m3: info, segment and digest via temp name, fsync and rename, the
 * directory synced, then the checkpoint. m3ts: the one file via temp name,
 * fsync and rename, then the directory synced.
 */
export async function writeIndexVolume(
  root: string,
  info: IndexVolumeInfo,
  segment: Uint8Array,
  fs: FileSystem,
  options: WriteIndexVolumeOptions = {},
): Promise<void> {
  const format = options.format ?? "m3";
  if (!INDEX_VOLUME_FORMATS.includes(format)) {
    throw new InvalidVolumeInputError("format", `${JSON.stringify(format)} is not one of m3, m3ts`);
  }
  const level = options.zstdLevel ?? DEFAULT_INDEX_ZSTD_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 22) {
    throw new InvalidVolumeInputError("zstdLevel", `${level} must be an integer from 1 to 22`);
  }
  const endMs = checkInfo(info, segment, format);
  const dir = indexVolumeDir(root, info.namespace);
  await io(dir, "mkdir", () => fs.mkdir(dir, { recursive: true }));
  if (format === "m3ts") {
    await writeM3tsIndexVolume(root, { ...info, endMs }, segment, level, fs);
    return;
  }
  const checkpointPath = indexVolumePath(root, info, "checkpoint");
  await unlinkIfPresent(fs, checkpointPath);
  // The directory sync before the checkpoint makes these removals durable too.
  await removeM3tsFiles(fs, dir, info, undefined);
  const infoBytes = encodeIndexInfo(info);
  const digest = new Uint8Array(INDEX_DIGEST_SIZE);
  putU32(digest, 0, crc32(infoBytes));
  putU32(digest, 4, crc32(segment));
  try {
    await writeWholeFile(fs, indexVolumePath(root, info, "info"), infoBytes);
    await writeWholeFile(fs, indexVolumePath(root, info, "segment"), segment);
    await writeWholeFile(fs, indexVolumePath(root, info, "digest"), digest);
    // Every other file is in place and synced before the checkpoint can exist.
    await syncDir(fs, dir);
    const checkpoint = new Uint8Array(CHECKPOINT_FILE_SIZE);
    putU32(checkpoint, 0, crc32(digest));
    await writeWholeFile(fs, checkpointPath, checkpoint);
    await syncDir(fs, dir);
  } catch (err) {
    // Leave no temp file behind; the files already renamed, without a
    // checkpoint, are an incomplete volume that removeIncompleteIndexVolumes clears.
    for (const type of INDEX_VOLUME_FILE_TYPES) {
      await fs.unlink(indexVolumePath(root, info, type) + TEMP_SUFFIX).catch(() => undefined);
    }
    throw err;
  }
}

async function writeM3tsIndexVolume(
  root: string,
  info: ReadIndexVolumeInfo,
  segment: Uint8Array,
  level: number,
  fs: FileSystem,
): Promise<void> {
  const dir = indexVolumeDir(root, info.namespace);
  const path = indexVolumeM3tsPath(root, info);
  // What this volume replaces goes first, durably: an m3 volume of the number
  // (checkpoint first) and m3ts files of the number over another span. The
  // file of the same name is replaced by the rename alone.
  await removeM3Files(fs, root, info);
  await removeM3tsFiles(fs, dir, info, info.endMs);
  await syncDir(fs, dir);
  const bytes = encodeM3tsVolume(info, segment, level);
  try {
    await writeWholeFile(fs, path, bytes);
    await syncDir(fs, dir);
  } catch (err) {
    await fs.unlink(path + TEMP_SUFFIX).catch(() => undefined);
    throw err;
  }
}

/** Why a volume's checkpoint does not vouch for its digest, and which file is at fault. */
interface CheckpointFailure {
  /** No checkpoint file: the volume was never completed, not damaged. */
  missing: boolean;
  file: IndexVolumeFileType;
  reason: string;
  /** The digest file's bytes when they were read whole (kept to tell which side is damaged). */
  digest: Uint8Array | null;
}

/** The digest's bytes when the checkpoint matches them, else the failure. */
async function checkedDigest(
  fs: FileSystem,
  root: string,
  id: IndexVolumeId,
): Promise<Uint8Array | CheckpointFailure> {
  const fail = (
    file: IndexVolumeFileType,
    reason: string,
    digest: Uint8Array | null = null,
  ): CheckpointFailure => ({ missing: false, file, reason, digest });
  const checkpoint = await readOrNull(fs, indexVolumePath(root, id, "checkpoint"));
  if (checkpoint === null) return { ...fail("checkpoint", "missing"), missing: true };
  if (checkpoint.length !== CHECKPOINT_FILE_SIZE) {
    return fail("checkpoint", `${checkpoint.length} bytes, expected ${CHECKPOINT_FILE_SIZE}`);
  }
  const digest = await readOrNull(fs, indexVolumePath(root, id, "digest"));
  if (digest === null) return fail("digest", "missing");
  if (digest.length !== INDEX_DIGEST_SIZE) {
    return fail("digest", `${digest.length} bytes, expected ${INDEX_DIGEST_SIZE}`);
  }
  if (crc32(digest) !== getU32(checkpoint, 0)) {
    return fail("checkpoint", "does not match the digest file", digest);
  }
  return digest;
}

/**
 * The checkpoint and the digest disagree: one of them is damaged. The digest
 * is the one at fault when it does not match the info and segment files
 * either; the writer renames the checkpoint into place only after the
 * digest, so a digest that matches both files is the intact one.
 */
async function blameCheckpointOrDigest(
  fs: FileSystem,
  root: string,
  id: IndexVolumeId,
  digest: Uint8Array,
): Promise<IndexVolumeCorruptError> {
  const infoBytes = await readOrNull(fs, indexVolumePath(root, id, "info"));
  const segment = await readOrNull(fs, indexVolumePath(root, id, "segment"));
  const digestHolds =
    infoBytes !== null &&
    segment !== null &&
    crc32(infoBytes) === getU32(digest, 0) &&
    crc32(segment) === getU32(digest, 4);
  return digestHolds
    ? new IndexVolumeCorruptError(id, "checkpoint", "does not match the digest file")
    : new IndexVolumeCorruptError(
        id,
        "digest",
        "matches neither the checkpoint nor the info and segment files",
      );
}

/** Index volumes on disk for one namespace (or all), both formats, sorted by namespace, block start, volume and format. */
export async function listIndexVolumes(
  root: string,
  namespace: string | undefined,
  fs: FileSystem,
): Promise<ListedIndexVolume[]> {
  const base = join(root, "index", "data");
  const namespaces = namespace === undefined ? await listDir(fs, base) : [namespace];
  const out: ListedIndexVolume[] = [];
  for (const ns of namespaces.sort()) {
    const dir = indexVolumeDir(root, ns);
    const byVolume = new Map<string, ListedIndexVolume>();
    const entry = (key: string, make: () => ListedIndexVolume): ListedIndexVolume => {
      let v = byVolume.get(key);
      if (v === undefined) {
        v = make();
        byVolume.set(key, v);
      }
      return v;
    };
    for (const name of await listDir(fs, dir)) {
      const m3ts = parseM3tsFileName(name);
      if (m3ts !== null) {
        const { blockStartMs, endMs, volume } = m3ts;
        const v = entry(`m3ts/${blockStartMs}/${endMs}/${volume}`, () => ({
          namespace: ns,
          blockStartMs,
          volume,
          format: "m3ts",
          endMs,
          complete: false,
          paths: [],
        }));
        v.paths.push(join(dir, name));
        continue;
      }
      const m = NAME_PATTERN.exec(name);
      if (m === null) continue;
      const blockStartMs = Number(m[1]);
      const volume = Number(m[2]);
      if (!Number.isSafeInteger(blockStartMs) || !Number.isSafeInteger(volume)) continue;
      const v = entry(`m3/${blockStartMs}/${volume}`, () => ({
        namespace: ns,
        blockStartMs,
        volume,
        format: "m3",
        complete: false,
        paths: [],
      }));
      v.paths.push(join(dir, name));
    }
    const vols = [...byVolume.values()].sort(
      (a, b) =>
        a.blockStartMs - b.blockStartMs ||
        a.volume - b.volume ||
        (a.format === b.format ? 0 : a.format === "m3" ? -1 : 1) ||
        (a.format === "m3ts" && b.format === "m3ts" ? a.endMs - b.endMs : 0),
    );
    for (const v of vols) {
      v.paths.sort();
      v.complete =
        v.format === "m3"
          ? (await checkedDigest(fs, root, v)) instanceof Uint8Array
          : await m3tsVolumeComplete(fs, indexVolumeM3tsPath(root, v));
      out.push(v);
    }
  }
  return out;
}

/** The m3ts file a ref names: given by its end, else the one final file of its number in the directory. */
type Located =
  | { format: "m3" }
  | { format: "m3ts"; id: M3tsVolumeId }
  | { format: "ambiguous"; names: string[] };

async function locate(root: string, ref: IndexVolumeRef, fs: FileSystem): Promise<Located> {
  if (ref.format === "m3") return { format: "m3" };
  if (ref.format === "m3ts" && ref.endMs !== undefined) {
    return { format: "m3ts", id: { ...idOf(ref), endMs: ref.endMs } };
  }
  if (
    ref.format === undefined &&
    (await readOrNull(fs, indexVolumePath(root, ref, "checkpoint")))
  ) {
    return { format: "m3" };
  }
  const finals: number[] = [];
  const temps: number[] = [];
  for (const name of await listDir(fs, indexVolumeDir(root, ref.namespace))) {
    const p = parseM3tsFileName(name);
    if (p === null || p.blockStartMs !== ref.blockStartMs || p.volume !== ref.volume) continue;
    if (ref.endMs !== undefined && p.endMs !== ref.endMs) continue;
    (p.temp ? temps : finals).push(p.endMs);
  }
  if (finals.length > 1) {
    return {
      format: "ambiguous",
      names: finals.sort((a, b) => a - b).map((endMs) => m3tsFileName({ ...ref, endMs })),
    };
  }
  const endMs = finals[0] ?? temps[0];
  if (endMs !== undefined) return { format: "m3ts", id: { ...idOf(ref), endMs } };
  if (ref.format === undefined) return { format: "m3" };
  // Nothing of the volume: the missing file's name, with its unknown end as `*`.
  return { format: "m3ts", id: { ...idOf(ref), endMs: Number.NaN } };
}

function idOf(ref: IndexVolumeId): IndexVolumeId {
  return { namespace: ref.namespace, blockStartMs: ref.blockStartMs, volume: ref.volume };
}

/**
 * Reads a volume of either format, checking every checksum and the recorded
 * fields against its name and directory; `segment` is the segment's bytes
 * uncompressed. IndexVolumeMissingError when the volume was never completed;
 * IndexVolumeCorruptError names the file (m3) or section (m3ts) that fails.
 */
export async function readIndexVolume(
  root: string,
  ref: IndexVolumeRef,
  fs: FileSystem,
): Promise<{ info: ReadIndexVolumeInfo; segment: Uint8Array; format: IndexVolumeFormat }> {
  const where = await locate(root, ref, fs);
  if (where.format === "ambiguous") {
    throw new IndexVolumeCorruptError(
      ref,
      "header",
      `${where.names.length} files claim this volume number: ${where.names.join(", ")}`,
      where.names[0],
    );
  }
  if (where.format === "m3ts") {
    const { id } = where;
    if (Number.isNaN(id.endMs)) {
      const pattern = join(
        indexVolumeDir(root, id.namespace),
        `index-${id.blockStartMs}-*-${id.volume}.m3ts`,
      );
      throw new IndexVolumeMissingError(id, pattern);
    }
    const path = indexVolumeM3tsPath(root, id);
    const file = await readOrNull(fs, path);
    if (file === null) throw new IndexVolumeMissingError(id, path);
    const got = decodeM3tsVolume(file, id);
    if ("reason" in got) {
      throw new IndexVolumeCorruptError(id, got.section, got.reason, m3tsFileName(id));
    }
    return { ...got, format: "m3ts" };
  }
  return { ...(await readM3IndexVolume(root, idOf(ref), fs)), format: "m3" };
}

async function readM3IndexVolume(
  root: string,
  id: IndexVolumeId,
  fs: FileSystem,
): Promise<{ info: ReadIndexVolumeInfo; segment: Uint8Array }> {
  const digest = await checkedDigest(fs, root, id);
  if (!(digest instanceof Uint8Array)) {
    if (digest.missing) {
      throw new IndexVolumeMissingError(id, indexVolumePath(root, id, "checkpoint"));
    }
    if (digest.digest !== null) throw await blameCheckpointOrDigest(fs, root, id, digest.digest);
    throw new IndexVolumeCorruptError(id, digest.file, digest.reason);
  }
  const infoBytes = await readOrNull(fs, indexVolumePath(root, id, "info"));
  if (infoBytes === null) throw new IndexVolumeCorruptError(id, "info", "missing");
  if (crc32(infoBytes) !== getU32(digest, 0)) {
    throw new IndexVolumeCorruptError(id, "info", "crc32 does not match the digest");
  }
  const info = decodeIndexInfo(infoBytes, id);
  if (typeof info === "string") throw new IndexVolumeCorruptError(id, "info", info);
  const segment = await readOrNull(fs, indexVolumePath(root, id, "segment"));
  if (segment === null) throw new IndexVolumeCorruptError(id, "segment", "missing");
  if (segment.length !== info.segmentBytes) {
    throw new IndexVolumeCorruptError(
      id,
      "segment",
      `${segment.length} bytes, the info file records ${info.segmentBytes}`,
    );
  }
  if (crc32(segment) !== getU32(digest, 4)) {
    throw new IndexVolumeCorruptError(id, "segment", "crc32 does not match the digest");
  }
  return { info: { ...info, endMs: info.blockStartMs + info.blockSizeMs }, segment };
}

/** Deletes an m3 volume's files, checkpoint first, and their temp files. */
async function removeM3Files(fs: FileSystem, root: string, id: IndexVolumeId): Promise<void> {
  const order = ["checkpoint", "info", "segment", "digest"] as const;
  for (const type of order) {
    const path = indexVolumePath(root, id, type);
    await unlinkIfPresent(fs, path);
    await unlinkIfPresent(fs, path + TEMP_SUFFIX);
  }
}

/** Deletes the m3ts files (final and temp) of a volume number in `dir`, but for the span ending at `keepEndMs`. */
async function removeM3tsFiles(
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

/**
 * Removes a volume's files and their temp files; missing files are fine.
 * Both formats' files of the number go unless `ref.format` says which (and,
 * for m3ts, `ref.endMs` which span).
 */
export async function removeIndexVolume(
  root: string,
  ref: IndexVolumeRef,
  fs: FileSystem,
): Promise<void> {
  if (ref.format !== "m3ts") await removeM3Files(fs, root, ref);
  if (ref.format === "m3") return;
  const dir = indexVolumeDir(root, ref.namespace);
  if (ref.endMs === undefined) {
    await removeM3tsFiles(fs, dir, ref, undefined);
    return;
  }
  const path = indexVolumeM3tsPath(root, { ...ref, endMs: ref.endMs });
  await unlinkIfPresent(fs, path);
  await unlinkIfPresent(fs, path + TEMP_SUFFIX);
}

/** Deletes incomplete volumes and temp files a crash left, both formats; returns the paths removed. */
export async function removeIncompleteIndexVolumes(
  root: string,
  fs: FileSystem,
): Promise<string[]> {
  const removed: string[] = [];
  for (const v of await listIndexVolumes(root, undefined, fs)) {
    if (v.complete) {
      for (const p of v.paths.filter((p) => p.endsWith(TEMP_SUFFIX))) {
        await unlinkIfPresent(fs, p);
        removed.push(p);
      }
    } else {
      await removeIndexVolume(root, v, fs);
      removed.push(...v.paths);
    }
  }
  return removed;
}
