// Replaying commit logs at bootstrap: every file in index order, chunk by
// chunk, each chunk checked against its checksums before its records are
// read. A file's reading stops at the first torn or corrupt place and keeps
// everything before it; what was skipped is reported, never thrown.
import { TextDecoder } from "node:util";
import { crc32 } from "node:zlib";
import type { FileHandle, FileSystem } from "../../x/index.js";
import type { SeriesMetadata } from "./commit-log.js";
import { type CommitLogFile, scanCommitLogFiles } from "./files.js";
import {
  CHUNK_HEADER_SIZE,
  decodeFileHeader,
  FILE_HEADER_SIZE,
  hex32,
  MAX_NS_IN_MS,
  MAX_SHARD,
  PayloadCursor,
  RecordType,
  readU32,
} from "./format.js";

/** Receives one replayed datapoint. `series` is shared by all datapoints of the series in one file. */
export interface ReplayOptions {
  /** Files with a lower index are skipped (a snapshot holds their data). */
  fromIndex?: number;
  /** Called with each file's index before its records. */
  onFile?: (index: number) => void;
  /** Where the files live (default: the machine's file system). */
  fs: FileSystem;
}

export type ReplayCallback = (
  series: SeriesMetadata,
  timeMs: number,
  nsInMs: number,
  value: number,
  unit: number,
  annotation: Uint8Array | null,
) => void;

export interface ReplayStats {
  /** Files whose header was valid and whose chunks were read. */
  files: number;
  /** Chunks read whole. */
  chunks: number;
  datapoints: number;
  /** Series metadata records read (a series counts once per file it appears in). */
  series: number;
  /** Files named like commit logs whose header could not be read; none of their content is replayed. */
  corruptFiles: string[];
  /** Bytes not replayed: from each stop offset to the end of its file, whole corrupt files included. */
  skippedBytes: number;
  /** Each place a file's reading stopped early, with why. Corrupt files appear with offset 0. */
  skipped: Array<{ file: string; offset: number; reason: string }>;
}

const WINDOW_BYTES = 1 << 20;

/**
 * Replays every commit log file in `dir` in header-index order, calling
 * `onDatapoint` for each datapoint with its series' metadata. A missing
 * directory has no files. Throws only for I/O errors, never for bad content.
 *
 * Chunks are the unit of integrity: a chunk whose length runs past the end of
 * the file or whose checksums fail ends the file there. A bad record inside a
 * chunk that passed its checksums (an unknown type, a datapoint of a series
 * with no metadata earlier in the file) ends the file at that record; the
 * records before it in the same chunk have been delivered.
 */
export async function replayCommitLogs(
  dir: string,
  onDatapoint: ReplayCallback,
  options: ReplayOptions,
): Promise<ReplayStats> {
  const stats: ReplayStats = {
    files: 0,
    chunks: 0,
    datapoints: 0,
    series: 0,
    corruptFiles: [],
    skippedBytes: 0,
    skipped: [],
  };
  const fs = options.fs;
  const listing = await scanCommitLogFiles(dir, fs);
  for (const bad of listing.corrupt) {
    stats.corruptFiles.push(bad.path);
    stats.skipped.push({ file: bad.path, offset: 0, reason: bad.reason });
    stats.skippedBytes += bad.sizeBytes;
  }
  const reader = new FileReplayer(fs, stats, onDatapoint);
  const fromIndex = options.fromIndex ?? 0;
  for (const file of listing.files) {
    if (file.index < fromIndex) continue;
    options.onFile?.(file.index);
    await reader.replay(file);
  }
  return stats;
}

/** Replays one file at a time, reusing its read window and cursor across files. */
class FileReplayer {
  private readonly fs: FileSystem;
  private readonly stats: ReplayStats;
  private readonly onDatapoint: ReplayCallback;
  private readonly window: FileWindow;
  private readonly cursor: PayloadCursor;
  private readonly decoder: TextDecoder;

  constructor(fs: FileSystem, stats: ReplayStats, onDatapoint: ReplayCallback) {
    this.fs = fs;
    this.stats = stats;
    this.onDatapoint = onDatapoint;
    this.window = new FileWindow();
    this.cursor = new PayloadCursor();
    this.decoder = new TextDecoder("utf-8", { fatal: true });
  }

  async replay(file: CommitLogFile): Promise<void> {
    const stats = this.stats;
    const path = file.path;
    let fh: FileHandle;
    try {
      fh = await this.fs.open(path, "r");
    } catch (err) {
      if ((err as { code?: unknown }).code === "ENOENT") return; // removed since listing
      throw err;
    }
    try {
      const size = (await fh.stat()).size;
      const win = this.window;
      win.reset(fh, size);
      // The header was checked when listing; check it again in case the file changed since.
      const header = (await win.ensure(0, FILE_HEADER_SIZE))
        ? decodeFileHeader(win.buf.subarray(0, FILE_HEADER_SIZE))
        : `file header truncated: ${size} of ${FILE_HEADER_SIZE} bytes`;
      if (typeof header === "string") {
        stats.corruptFiles.push(path);
        this.stop(path, size, 0, header);
        return;
      }
      stats.files++;
      const seriesByIndex = new Map<number, SeriesMetadata>();
      let off = FILE_HEADER_SIZE;
      while (off < size) {
        if (!(await win.ensure(off, CHUNK_HEADER_SIZE))) {
          this.stop(path, size, off, `torn chunk header: ${size - off} bytes before end of file`);
          return;
        }
        let p = off - win.start;
        const length = readU32(win.buf, p);
        const lengthCrc = readU32(win.buf, p + 4);
        const payloadCrc = readU32(win.buf, p + 8);
        const actualLengthCrc = crc32(win.buf.subarray(p, p + 4));
        if (actualLengthCrc !== lengthCrc) {
          this.stop(
            path,
            size,
            off,
            `chunk length checksum mismatch: stored ${hex32(lengthCrc)}, computed ${hex32(actualLengthCrc)}`,
          );
          return;
        }
        const chunkEnd = off + CHUNK_HEADER_SIZE + length;
        if (!(await win.ensure(off, CHUNK_HEADER_SIZE + length))) {
          this.stop(
            path,
            size,
            off,
            `torn chunk: payload of ${length} bytes ends at ${chunkEnd}, past end of file at ${size}`,
          );
          return;
        }
        p = off - win.start;
        const payloadStart = p + CHUNK_HEADER_SIZE;
        const actualPayloadCrc = crc32(win.buf.subarray(payloadStart, payloadStart + length));
        if (actualPayloadCrc !== payloadCrc) {
          this.stop(
            path,
            size,
            off,
            `chunk payload checksum mismatch: stored ${hex32(payloadCrc)}, computed ${hex32(actualPayloadCrc)}`,
          );
          return;
        }
        const bad = this.readRecords(win.buf, payloadStart, payloadStart + length, seriesByIndex);
        if (bad !== null) {
          this.stop(path, size, off + CHUNK_HEADER_SIZE + bad.offset, bad.reason);
          return;
        }
        stats.chunks++;
        off = chunkEnd;
      }
    } finally {
      await fh.close();
    }
  }

  /** Reads the records of one checked payload; returns the first bad record's payload offset and why. */
  private readRecords(
    buf: Uint8Array,
    start: number,
    end: number,
    seriesByIndex: Map<number, SeriesMetadata>,
  ): { offset: number; reason: string } | null {
    const c = this.cursor;
    const stats = this.stats;
    c.reset(buf, start, end);
    while (c.pos < end) {
      const recordStart = c.pos;
      const type = c.u8();
      if (type === RecordType.Datapoint) {
        const seriesIndex = c.varint();
        const timeMs = c.f64();
        const nsInMs = c.varint();
        const value = c.f64();
        const unit = c.u8();
        const annLength = c.varint();
        const annStart = c.skip(annLength);
        if (c.error !== "") return { offset: recordStart - start, reason: `datapoint: ${c.error}` };
        const series = seriesByIndex.get(seriesIndex);
        if (series === undefined) {
          return {
            offset: recordStart - start,
            reason: `datapoint refers to series ${seriesIndex}, which has no metadata earlier in the file`,
          };
        }
        if (!Number.isSafeInteger(timeMs) || nsInMs > MAX_NS_IN_MS) {
          return {
            offset: recordStart - start,
            reason: `datapoint time ${timeMs} ms + ${nsInMs} ns is not a valid instant`,
          };
        }
        const annotation = annLength === 0 ? null : buf.slice(annStart, annStart + annLength);
        this.onDatapoint(series, timeMs, nsInMs, value, unit, annotation);
        stats.datapoints++;
      } else if (type === RecordType.SeriesMetadata) {
        const seriesIndex = c.varint();
        const shard = c.varint();
        const nsStart = c.skip(c.varint());
        const nsEnd = c.pos;
        const idStart = c.skip(c.varint());
        const idEnd = c.pos;
        const tagsStart = c.skip(c.varint());
        const tagsEnd = c.pos;
        if (c.error !== "")
          return { offset: recordStart - start, reason: `series metadata: ${c.error}` };
        if (shard > MAX_SHARD) {
          return {
            offset: recordStart - start,
            reason: `series metadata: shard ${shard} exceeds 2^32 - 1`,
          };
        }
        let namespace: string;
        try {
          namespace = this.decoder.decode(buf.subarray(nsStart, nsEnd));
        } catch {
          return {
            offset: recordStart - start,
            reason: "series metadata: namespace is not valid UTF-8",
          };
        }
        seriesByIndex.set(seriesIndex, {
          seriesIndex,
          namespace,
          id: buf.slice(idStart, idEnd),
          encodedTags: buf.slice(tagsStart, tagsEnd),
          shard,
        });
        stats.series++;
      } else {
        if (c.error !== "") return { offset: recordStart - start, reason: c.error };
        return { offset: recordStart - start, reason: `unknown record type ${type}` };
      }
    }
    return null;
  }

  private stop(file: string, size: number, offset: number, reason: string): void {
    this.stats.skipped.push({ file, offset, reason });
    this.stats.skippedBytes += size - offset;
  }
}

/**
 * A sliding window over a file, so a file of many small chunks is read in
 * large reads. `buf[0]` is the file's byte at offset `start`; bytes up to
 * offset `end` are loaded.
 */
class FileWindow {
  buf: Uint8Array;
  start: number;
  end: number;
  private fh: FileHandle | null;
  private size: number;

  constructor() {
    this.buf = new Uint8Array(WINDOW_BYTES);
    this.start = 0;
    this.end = 0;
    this.fh = null;
    this.size = 0;
  }

  reset(fh: FileHandle, size: number): void {
    this.fh = fh;
    this.size = size;
    this.start = 0;
    this.end = 0;
  }

  /** Loads the file's bytes [offset, offset + n); false if they run past the end of the file. */
  async ensure(offset: number, n: number): Promise<boolean> {
    const want = offset + n;
    if (want > this.size) return false;
    if (offset >= this.start && want <= this.end) return true;
    // Keep the loaded bytes from `offset` on, moved to the front.
    const kept = offset >= this.start && offset < this.end ? this.end - offset : 0;
    if (n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(offset - this.start, offset - this.start + kept));
      this.buf = next;
    } else if (kept > 0) {
      this.buf.copyWithin(0, offset - this.start, offset - this.start + kept);
    }
    this.start = offset;
    this.end = offset + kept;
    const fh = this.fh;
    if (fh === null) return false;
    while (this.end < want) {
      const room = Math.min(this.buf.length - (this.end - this.start), this.size - this.end);
      const { bytesRead } = await fh.read(this.buf, this.end - this.start, room, this.end);
      if (bytesRead === 0) return false; // the file shrank while being read
      this.end += bytesRead;
    }
    return true;
  }
}
