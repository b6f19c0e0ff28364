// Helpers shared by the commit log's tests: temp directories, replay into
// plain comparable rows (values as bit patterns, so NaN payloads compare
// exactly), and hand-built chunks. Not part of the commit log's public face.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeFileSystem } from "../../x/index.js";
import type { SeriesMetadata } from "./commit-log.js";
import { CHUNK_HEADER_SIZE, FILE_HEADER_SIZE, readU32, writeChunkHeader } from "./format.js";
import { type ReplayStats, replayCommitLogs } from "./replay.js";

/** Runs `fn` with a fresh temp directory and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "m3ts-commitlog-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One replayed (or expected) datapoint in a form deepEqual compares bit for bit. */
export interface Row {
  seriesIndex: number;
  namespace: string;
  id: string;
  tags: string;
  shard: number;
  timeMs: number;
  nsInMs: number;
  valueBits: string;
  unit: number;
  annotation: string | null;
}

const scratch = new DataView(new ArrayBuffer(8));

/** The 16 hex digits of a float64's bits. */
export function bitsOf(v: number): string {
  scratch.setFloat64(0, v);
  return (
    scratch.getUint32(0).toString(16).padStart(8, "0") +
    scratch.getUint32(4).toString(16).padStart(8, "0")
  );
}

/**
 * The float64 with these bits. Pass the result straight to its consumer: V8
 * quiets signalling NaNs stored in JS arrays, so keep bits, not numbers.
 */
export function fromBits(hex: string): number {
  scratch.setUint32(0, Number.parseInt(hex.slice(0, 8), 16));
  scratch.setUint32(4, Number.parseInt(hex.slice(8, 16), 16));
  return scratch.getFloat64(0);
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function rowOf(
  s: SeriesMetadata,
  timeMs: number,
  nsInMs: number,
  value: number,
  unit: number,
  annotation: Uint8Array | null,
): Row {
  return {
    seriesIndex: s.seriesIndex,
    namespace: s.namespace,
    id: hexOf(s.id),
    tags: hexOf(s.encodedTags),
    shard: s.shard,
    timeMs,
    nsInMs,
    valueBits: bitsOf(value),
    unit,
    annotation: annotation === null ? null : hexOf(annotation),
  };
}

/** Replays `dir` into rows. */
export async function replayRows(dir: string): Promise<{ rows: Row[]; stats: ReplayStats }> {
  const rows: Row[] = [];
  const stats = await replayCommitLogs(
    dir,
    (s, t, ns, v, u, a) => {
      rows.push(rowOf(s, t, ns, v, u, a));
    },
    { fs: nodeFileSystem },
  );
  return { rows, stats };
}

export function series(
  seriesIndex: number,
  namespace = "default",
  shard = seriesIndex % 64,
): SeriesMetadata {
  const enc = new TextEncoder();
  return {
    seriesIndex,
    namespace,
    id: enc.encode(`cpu{host="h${seriesIndex}"}`),
    encodedTags: enc.encode(`\u0002host\u0000h${seriesIndex}`),
    shard,
  };
}

/** File offsets where each chunk of a well-formed file ends, in order. */
export function chunkEnds(file: Uint8Array): number[] {
  const ends: number[] = [];
  let off = FILE_HEADER_SIZE;
  while (off + CHUNK_HEADER_SIZE <= file.length) {
    off += CHUNK_HEADER_SIZE + readU32(file, off);
    if (off > file.length) throw new Error(`chunk at ${off} runs past the end of the file`);
    ends.push(off);
  }
  if (off !== file.length)
    throw new Error(`trailing ${file.length - off} bytes after the last chunk`);
  return ends;
}

/** A chunk around `payload`, with correct checksums. */
export function buildChunk(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_SIZE + payload.length);
  out.set(payload, CHUNK_HEADER_SIZE);
  writeChunkHeader(out, payload.length);
  return out;
}

export { seededRandom } from "../../x/index.js";
