// Turning several sources of one series' points (a volume's data, buffer
// streams, the blocks a compaction merges) into the one piece of data a new
// volume holds, in the volume's format: an M3TSZ stream for M3's format; a
// packed block for m3ts's, unless a point carries what the packed encoding
// does not hold (a sub-millisecond instant or an annotation), in which case
// the series keeps an M3TSZ stream inside the m3ts-format volume.
import {
  isPacked,
  M3tszEncoder,
  MultiStreamIterator,
  packedBlock,
  packedCount,
  packSeries,
  type SeriesData,
} from "../../codec/index.js";
import { compareBytes, type DataEntry, type DataVolumeFormat } from "../fs/index.js";
import type { DiskBlock } from "./disk-blocks.js";

/** What merging produced: the data (null when no point is left) and how many points it holds. */
export interface MergedData {
  data: SeriesData | null;
  points: number;
}

const it = new MultiStreamIterator();
let times = new Float64Array(4096);
let values = new Float64Array(4096);

/**
 * Merges `sources` (oldest first: at equal instants the later source wins)
 * into data of `format` for a volume starting at `startMs`. Throws naming
 * `what` when a source does not decode: data written by this process always
 * does, so that means corrupt memory or a volume that passed its checksums
 * with bad bytes, and nothing is written from it.
 */
export function mergeSeriesData(
  format: DataVolumeFormat,
  sources: readonly SeriesData[],
  startMs: number,
  what: string,
): MergedData {
  if (sources.length === 0) return { data: null, points: 0 };
  // A single packed block already is the answer for m3ts's format; its header has the count.
  if (format === "m3ts" && sources.length === 1 && isPacked(sources[0])) {
    const points = packedCount(sources[0].bytes);
    return { data: points === 0 ? null : sources[0], points };
  }
  // A single M3TSZ source needs no encoding again where an M3TSZ stream is the answer.
  const stream = sources.length === 1 && !isPacked(sources[0]) ? sources[0] : null;
  it.reset(sources);
  if (format === "m3") return stream !== null ? counted(stream, what) : encodeM3tsz(startMs, what);
  let n = 0;
  let packable = true;
  while (it.next()) {
    if (it.nsInMs !== 0 || it.annotation !== null) {
      packable = false;
      break;
    }
    if (n === times.length) grow(n * 2);
    times[n] = it.timeMs;
    values[n] = it.value;
    n++;
  }
  check(what);
  if (!packable) {
    it.reset(sources);
    return stream !== null ? counted(stream, what) : encodeM3tsz(startMs, what);
  }
  if (n === 0) return { data: null, points: 0 };
  const data = packedBlock(packSeries(times, values, n));
  // Large scratch goes back to a small one, as after an unusually long series.
  if (times.length > 1 << 20) grow(4096);
  return { data, points: n };
}

/** `stream` as it is, with its points counted (the iterator is reset on it). */
function counted(stream: Uint8Array, what: string): MergedData {
  let n = 0;
  while (it.next()) n++;
  check(what);
  return { data: n === 0 ? null : stream, points: n };
}

function encodeM3tsz(startMs: number, what: string): MergedData {
  const enc = new M3tszEncoder(startMs);
  let n = 0;
  while (it.next()) {
    enc.encode(it.timeMs, it.value, it.unit, it.nsInMs, it.annotation);
    n++;
  }
  check(what);
  return { data: n === 0 ? null : enc.bytes(), points: n };
}

function check(what: string): void {
  if (it.error !== null) throw new Error(`${what} failed: ${it.error.message}`);
}

function grow(size: number): void {
  const t = new Float64Array(size);
  const v = new Float64Array(size);
  const keep = Math.min(size, times.length);
  t.set(times.subarray(0, keep));
  v.set(values.subarray(0, keep));
  times = t;
  values = v;
}

/**
 * The entries of several volumes merged by ID (each volume's entries are in
 * ID order): for each series, its entries from every volume holding it, in
 * the volumes' order.
 */
export async function* entriesById(blocks: readonly DiskBlock[]): AsyncGenerator<DataEntry[]> {
  const iters = blocks.map((b) => b.reader.entries()[Symbol.asyncIterator]());
  const heads: (DataEntry | null)[] = [];
  for (const it of iters) heads.push(await nextOf(it));
  for (;;) {
    let least: Uint8Array | null = null;
    for (const h of heads) {
      if (h !== null && (least === null || compareBytes(h.id, least) < 0)) least = h.id;
    }
    if (least === null) return;
    const group: DataEntry[] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== null && compareBytes(h.id, least) === 0) {
        group.push(h);
        heads[i] = await nextOf(iters[i]);
      }
    }
    yield group;
  }
}

async function nextOf(it: AsyncIterator<DataEntry>): Promise<DataEntry | null> {
  const r = await it.next();
  return r.done === true ? null : r.value;
}
