// Known series of the ingest path, found from the raw label bytes of a
// request: a hash of the bytes, then a byte comparison, gives the series' ID,
// its encoded tags and its ref in the database, with no string built. Only a
// series not seen before (or since the cache was last emptied) is decoded,
// validated and encoded. Decoding a label string per series and looking it up
// in a Map costs several times more than the whole rest of the write.
import {
  encodeTags,
  isValidPrometheusLabelName,
  M3tsError,
  normalizeTags,
  seriesIdString,
  type Tag,
} from "../../x/index.js";
import { InvalidLabelsError } from "../series-errors.js";
import { decodeLabels, type WriteRequestColumns } from "./write-request.js";

const EMPTY = -1;
/** Default bound on the cache's memory (coordinator.maxSeriesCacheBytes). */
export const DEFAULT_SERIES_CACHE_BYTES = 256 * 1024 * 1024;
const INITIAL_ENTRIES = 1024;
const INITIAL_ARENA_BYTES = 1 << 16;
/**
 * Estimated heap bytes of an entry beyond its typed-array columns: the ID
 * string's header, the tags' Uint8Array object and the two array slots
 * pointing at them (V8, 64-bit, one-byte strings). The string's characters
 * and the tag bytes are added per entry.
 */
const ENTRY_OBJECT_BYTES = 16 + 96 + 16;
/** Bytes per entry of the typed-array columns: hash, key offset and length, raw flag, ref. */
const COLUMN_BYTES_PER_ENTRY = 4 + 4 + 4 + 1 + 8;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export class SeriesCache {
  /** Per entry: canonical series ID, M3-encoded tags, database ref (-1 unknown). */
  ids: string[] = [];
  tags: Uint8Array[] = [];
  refs = new Float64Array(1024);
  /** Grows by one each time the cache is emptied, so refs learnt before are not stored after. */
  generation = 0;

  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private count = 0;
  private hashes = new Int32Array(INITIAL_ENTRIES);
  private keyAt = new Int32Array(INITIAL_ENTRIES);
  private keyLen = new Int32Array(INITIAL_ENTRIES);
  private arena: Buffer = Buffer.allocUnsafe(INITIAL_ARENA_BYTES);
  /** Per entry: 1 when its key is a raw run of label fields, 0 when label by label. */
  private keyRaw = new Uint8Array(INITIAL_ENTRIES);
  private arenaUsed = 0;
  private slots = new Int32Array(2 * INITIAL_ENTRIES).fill(EMPTY);
  private mask = 2 * INITIAL_ENTRIES - 1;
  /** Estimated bytes of the entries' ID strings and tag arrays (see ENTRY_OBJECT_BYTES). */
  private entryBytes = 0;

  /**
   * `maxEntries` and `maxBytes` bound the cache; an entry that would pass
   * either empties it first (see clear).
   */
  constructor(maxEntries = 1 << 21, maxBytes = DEFAULT_SERIES_CACHE_BYTES) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1))
      throw new RangeError(`series cache maxEntries must be a positive integer, got ${maxEntries}`);
    if (!(maxBytes > 0))
      throw new RangeError(`series cache maxBytes must be positive, got ${maxBytes}`);
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Estimated bytes the cache holds: its columns, hash slots and key arena at
   * their allocated sizes, and each entry's ID string and encoded tags.
   */
  get bytes(): number {
    return (
      this.hashes.length * COLUMN_BYTES_PER_ENTRY +
      this.slots.byteLength +
      this.arena.length +
      this.entryBytes
    );
  }

  /** The entry of request series `s`, created on a miss, or the refusal when its labels are invalid. */
  resolve(body: Uint8Array, cols: WriteRequestColumns, s: number): number | InvalidLabelsError {
    const from = cols.labelsFrom[s];
    if (from >= 0) return this.resolveRun(body, cols, s, from, cols.labelsTo[s]);
    const first = cols.labelStart[s];
    const end = first + cols.labelCount[s];
    const { nameAt, nameLen, valueAt, valueLen } = cols;
    let h = 0x811c9dc5;
    let keyBytes = 0;
    for (let l = first; l < end; l++) {
      let p = nameAt[l];
      let stop = p + nameLen[l];
      for (; p < stop; p++) h = Math.imul(h ^ body[p], 0x01000193);
      h = Math.imul(h ^ 0xff, 0x01000193);
      p = valueAt[l];
      stop = p + valueLen[l];
      for (; p < stop; p++) h = Math.imul(h ^ body[p], 0x01000193);
      h = Math.imul(h ^ 0xfe, 0x01000193);
      keyBytes += 4 + nameLen[l] + valueLen[l];
    }
    let slot = h & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e === EMPTY) break;
      if (
        this.hashes[e] === h &&
        this.keyRaw[e] === 0 &&
        this.keyLen[e] === keyBytes &&
        this.sameKey(e, body, cols, first, end)
      )
        return e;
      slot = (slot + 1) & this.mask;
    }
    return this.add(body, cols, first, end, h, keyBytes, -1);
  }

  /**
   * The fast path: the series' label fields are one run of bytes, hashed four
   * bytes at a time (murmur3's mixing) and compared natively, with no look at
   * the labels themselves.
   */
  private resolveRun(
    body: Uint8Array,
    cols: WriteRequestColumns,
    s: number,
    from: number,
    to: number,
  ): number | InvalidLabelsError {
    const len = to - from;
    let h = 0x9747b28c ^ len;
    const end4 = from + (len & ~3);
    let p = from;
    for (; p < end4; p += 4) {
      let k = body[p] | (body[p + 1] << 8) | (body[p + 2] << 16) | (body[p + 3] << 24);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    for (; p < to; p++) h = Math.imul(h ^ body[p], 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    let slot = h & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e === EMPTY) break;
      if (
        this.hashes[e] === h &&
        this.keyRaw[e] === 1 &&
        this.keyLen[e] === len &&
        this.arena.compare(body, from, to, this.keyAt[e], this.keyAt[e] + len) === 0
      )
        return e;
      slot = (slot + 1) & this.mask;
    }
    decodeLabels(body, cols, s);
    const first = cols.labelStart[s];
    return this.add(body, cols, first, first + cols.labelCount[s], h, len, from);
  }

  private sameKey(
    e: number,
    body: Uint8Array,
    cols: WriteRequestColumns,
    first: number,
    end: number,
  ) {
    const a = this.arena;
    let k = this.keyAt[e];
    for (let l = first; l < end; l++) {
      const nl = cols.nameLen[l];
      const vl = cols.valueLen[l];
      if (a[k] !== (nl & 0xff) || a[k + 1] !== nl >>> 8) return false;
      k += 2;
      let p = cols.nameAt[l];
      for (let i = 0; i < nl; i++) if (a[k++] !== body[p++]) return false;
      if (a[k] !== (vl & 0xff) || a[k + 1] !== vl >>> 8) return false;
      k += 2;
      p = cols.valueAt[l];
      for (let i = 0; i < vl; i++) if (a[k++] !== body[p++]) return false;
    }
    return true;
  }

  private add(
    body: Uint8Array,
    cols: WriteRequestColumns,
    first: number,
    end: number,
    h: number,
    keyBytes: number,
    rawFrom: number,
  ): number | InvalidLabelsError {
    const labels: Tag[] = [];
    for (let l = first; l < end; l++) {
      const name = text(body, cols.nameAt[l], cols.nameLen[l]);
      const value = text(body, cols.valueAt[l], cols.valueLen[l]);
      if (name === null || value === null) {
        return this.refuse(body, cols, first, end, "a label name or value is not valid UTF-8");
      }
      if (cols.nameLen[l] > 0xffff || cols.valueLen[l] > 0xffff) {
        return this.refuse(
          body,
          cols,
          first,
          end,
          `label ${show(name)} is longer than 65535 bytes`,
        );
      }
      if (!isValidPrometheusLabelName(name)) {
        const why = name === "" ? "a label name is empty" : `label name ${show(name)} is invalid`;
        return this.refuse(body, cols, first, end, `${why} (names match [a-zA-Z_][a-zA-Z0-9_]*)`);
      }
      // Prometheus treats a label with an empty value as absent.
      if (value !== "") labels.push([name, value]);
    }
    let sorted: Tag[];
    try {
      sorted = normalizeTags(labels);
    } catch (e) {
      if (!(e instanceof M3tsError)) throw e;
      return this.refuse(body, cols, first, end, e.message);
    }
    const id = seriesIdString(sorted);
    const tags = encodeTags(sorted);
    const cost = ENTRY_OBJECT_BYTES + id.length + tags.length;
    if (
      this.count === this.maxEntries ||
      this.bytes + this.growthBytes(keyBytes) + cost > this.maxBytes
    )
      this.clear();
    const e = this.count++;
    if (e === this.hashes.length) {
      const n = e * 2;
      this.hashes = grow32(this.hashes, n);
      this.keyAt = grow32(this.keyAt, n);
      this.keyLen = grow32(this.keyLen, n);
      const raw = new Uint8Array(n);
      raw.set(this.keyRaw);
      this.keyRaw = raw;
      const refs = new Float64Array(n);
      refs.set(this.refs);
      this.refs = refs;
    }
    if (this.arenaUsed + keyBytes > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + keyBytes));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = bigger;
    }
    const a = this.arena;
    let k = this.arenaUsed;
    this.keyRaw[e] = rawFrom >= 0 ? 1 : 0;
    if (rawFrom >= 0) {
      a.set(body.subarray(rawFrom, rawFrom + keyBytes), k);
      k += keyBytes;
    }
    for (let l = first; l < end && rawFrom < 0; l++) {
      const nl = cols.nameLen[l];
      const vl = cols.valueLen[l];
      a[k++] = nl & 0xff;
      a[k++] = nl >>> 8;
      a.set(body.subarray(cols.nameAt[l], cols.nameAt[l] + nl), k);
      k += nl;
      a[k++] = vl & 0xff;
      a[k++] = vl >>> 8;
      a.set(body.subarray(cols.valueAt[l], cols.valueAt[l] + vl), k);
      k += vl;
    }
    this.hashes[e] = h;
    this.keyAt[e] = this.arenaUsed;
    this.keyLen[e] = keyBytes;
    this.arenaUsed = k;
    this.ids[e] = id;
    this.tags[e] = tags;
    this.refs[e] = -1;
    this.entryBytes += cost;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e);
    return e;
  }

  private refuse(
    body: Uint8Array,
    cols: WriteRequestColumns,
    first: number,
    end: number,
    reason: string,
  ): InvalidLabelsError {
    return new InvalidLabelsError(describeSeries(body, cols, first, end), reason);
  }

  private place(e: number): void {
    let slot = this.hashes[e] & this.mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = e;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let e = 0; e < this.count; e++) this.place(e);
  }

  /** Bytes the columns, slots and arena would grow by to take one more entry with a key of `keyBytes`. */
  private growthBytes(keyBytes: number): number {
    let n = 0;
    if (this.count === this.hashes.length) n += this.hashes.length * COLUMN_BYTES_PER_ENTRY;
    if ((this.count + 1) * 2 > this.slots.length) n += this.slots.byteLength;
    if (this.arenaUsed + keyBytes > this.arena.length)
      n += Math.max(this.arena.length, this.arenaUsed + keyBytes - this.arena.length);
    return n;
  }

  /**
   * Forgets every series and gives back the grown columns, slots and arena:
   * the bound on memory when more distinct series arrive than the cache holds.
   * A miss costs one decode, so refilling after a clear is cheap, and unlike
   * eviction it keeps every lookup a plain probe.
   */
  clear(): void {
    this.count = 0;
    this.arenaUsed = 0;
    this.ids = [];
    this.tags = [];
    this.entryBytes = 0;
    if (this.hashes.length > INITIAL_ENTRIES) {
      this.hashes = new Int32Array(INITIAL_ENTRIES);
      this.keyAt = new Int32Array(INITIAL_ENTRIES);
      this.keyLen = new Int32Array(INITIAL_ENTRIES);
      this.keyRaw = new Uint8Array(INITIAL_ENTRIES);
      this.refs = new Float64Array(INITIAL_ENTRIES);
    }
    if (this.arena.length > INITIAL_ARENA_BYTES)
      this.arena = Buffer.allocUnsafe(INITIAL_ARENA_BYTES);
    if (this.slots.length > 2 * INITIAL_ENTRIES) {
      this.slots = new Int32Array(2 * INITIAL_ENTRIES);
      this.mask = 2 * INITIAL_ENTRIES - 1;
    }
    this.slots.fill(EMPTY);
    this.generation++;
  }
}

function text(body: Uint8Array, at: number, len: number): string | null {
  // Most labels are ASCII: build those without the decoder.
  let ascii = true;
  for (let i = at; i < at + len; i++) {
    if (body[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1(body, at, len);
  try {
    return utf8.decode(body.subarray(at, at + len));
  } catch {
    return null;
  }
}

function latin1(body: Uint8Array, at: number, len: number): string {
  if (len < 64) {
    let s = "";
    for (let i = at; i < at + len; i++) s += String.fromCharCode(body[i]);
    return s;
  }
  return Buffer.from(body.buffer, body.byteOffset + at, len).toString("latin1");
}

/** `{name="value", ...}` of a request series for error messages, bounded in length. */
export function describeSeries(
  body: Uint8Array,
  cols: WriteRequestColumns,
  first: number,
  end: number,
): string {
  const parts: string[] = [];
  for (let l = first; l < end && parts.length < 20; l++) {
    const name = Buffer.from(body.subarray(cols.nameAt[l], cols.nameAt[l] + cols.nameLen[l]));
    const value = Buffer.from(body.subarray(cols.valueAt[l], cols.valueAt[l] + cols.valueLen[l]));
    parts.push(
      `${name.toString("utf8").slice(0, 100)}=${JSON.stringify(value.toString("utf8").slice(0, 100))}`,
    );
  }
  if (end - first > parts.length) parts.push("…");
  return `{${parts.join(", ")}}`;
}

function show(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

function grow32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
