// A sealed segment: immutable, held as one byte array that is also its
// on-disk form (docs/format/index-segment.md), so sealing a block, writing
// its index volume and loading that volume again all go through the same
// bytes. Documents keep the order of the segments they came from; postings
// stay serialized until a query reads them.
import { decodeTags, M3tsError, type Tag } from "../x/index.js";
import { IdTable } from "./id-table.js";
import {
  type FieldReader,
  lowerBound,
  type Postings,
  RoaringBitmap32,
  type Segment,
} from "./segment.js";

/** "M3IX" in ASCII. */
const MAGIC = [0x4d, 0x33, 0x49, 0x58];
export const SEGMENT_FORMAT_VERSION = 1;
const HEADER_BYTES = 16;
/** Documents (or terms) encoded between pauses that let other work run. */
const PAUSE_EVERY = 16384;
/**
 * An ID length meaning "the plain canonical ID of the document's tags": no
 * ID bytes follow (see isPlainCanonical).
 */
const CANONICAL_ID = 0xffffffff;
const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;

/** A byte the canonical ID copies as it is: printable ASCII other than `"`. */
function plain(b: number): boolean {
  return b >= 0x20 && b <= 0x7e && b !== QUOTE;
}

/**
 * Whether `id` is the series ID of the encoded tags, `{n1="v1",n2="v2"}`,
 * with every name and value byte plain: then the ID is the tags' bytes with
 * punctuation, as seriesIdString writes it, and need not be stored.
 */
function isPlainCanonical(id: string, tags: Uint8Array): boolean {
  const count = tags[2] | (tags[3] << 8);
  let p = 4;
  let i = 0;
  if (id.charCodeAt(i++) !== BRACE_OPEN) return false;
  for (let t = 0; t < count; t++) {
    if (t > 0 && id.charCodeAt(i++) !== COMMA) return false;
    for (let field = 0; field < 2; field++) {
      const end = p + 2 + (tags[p] | (tags[p + 1] << 8));
      for (p += 2; p < end; p++) {
        const b = tags[p];
        if (!plain(b) || id.charCodeAt(i++) !== b) return false;
      }
      if (field === 0 && (id.charCodeAt(i++) !== EQUALS || id.charCodeAt(i++) !== QUOTE)) {
        return false;
      }
    }
    if (id.charCodeAt(i++) !== QUOTE) return false;
  }
  return id.charCodeAt(i++) === BRACE_CLOSE && i === id.length;
}

/** Scratch for building plain canonical IDs. */
let idScratch = Buffer.allocUnsafe(1024);

/** The plain canonical ID of `len` bytes of encoded tags at `at`, or null when a byte is not plain. */
function plainCanonicalId(src: Uint8Array, at: number, len: number): string | null {
  if (idScratch.length < 2 * len) idScratch = Buffer.allocUnsafe(2 * len);
  const out = idScratch;
  const count = src[at + 2] | (src[at + 3] << 8);
  let p = at + 4;
  let o = 0;
  out[o++] = BRACE_OPEN;
  for (let t = 0; t < count; t++) {
    if (t > 0) out[o++] = COMMA;
    for (let field = 0; field < 2; field++) {
      const end = p + 2 + (src[p] | (src[p + 1] << 8));
      for (p += 2; p < end; p++) {
        const b = src[p];
        if (!plain(b)) return null;
        out[o++] = b;
      }
      if (field === 0) {
        out[o++] = EQUALS;
        out[o++] = QUOTE;
      }
    }
    out[o++] = QUOTE;
  }
  out[o++] = BRACE_CLOSE;
  return out.toString("latin1", 0, o);
}

/** Sealed segment bytes that do not follow the format; nothing of them is served. */
export class SegmentFormatError extends M3tsError {
  readonly reason: string;

  constructor(reason: string) {
    super("M3TS_ERR_INDEX_SEGMENT_FORMAT", `index segment is malformed: ${reason}`);
    this.reason = reason;
  }
}

/** A growing output buffer. */
class Out {
  buf = Buffer.allocUnsafe(1 << 16);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** A u32 byte length, then the bytes. */
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A u32 byte length, then the string's UTF-8. */
  str(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.u32(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, "utf8");
    this.pos += n;
  }

  /**
   * A document's ID: only a marker when it is the plain canonical ID of its
   * tags (as nearly every series written through Prometheus's protocols
   * is), else a run.
   */
  id(id: string, tags: Uint8Array): void {
    if (isPlainCanonical(id, tags)) this.u32(CANONICAL_ID);
    else this.str(id);
  }

  postings(p: Postings): void {
    p.runOptimize();
    const n = p.getSerializationSizeInBytes("portable");
    this.u32(n);
    this.ensure(n);
    p.serialize("portable", this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
  }
}

/** A copy of `p` with `base` added to every document. */
function shifted(p: Postings, base: number): Postings {
  if (base === 0) return p;
  const docs = p.toUint32Array();
  for (let i = 0; i < docs.length; i++) docs[i] += base;
  return new RoaringBitmap32(docs);
}

function unionOf(parts: Postings[]): Postings {
  return parts.length === 1 ? parts[0] : RoaringBitmap32.orMany(parts);
}

/**
 * The sealed form of segments whose documents are disjoint (a series is in
 * at most one of them): their documents one after another, numbered on from
 * the previous segment's, and each term's postings merged. `pause` is
 * awaited now and then so that a large seal does not hold the event loop.
 */
export async function encodeSegments(
  segments: readonly Segment[],
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<Uint8Array> {
  const out = new Out();
  let docs = 0;
  const bases: number[] = [];
  for (const seg of segments) {
    bases.push(docs);
    docs += seg.size;
  }
  const names = [...new Set(segments.flatMap((s) => s.fieldNames()))].sort();
  out.ensure(HEADER_BYTES);
  out.buf.set(MAGIC, 0);
  out.pos = 4;
  out.u32(SEGMENT_FORMAT_VERSION);
  out.u32(docs);
  out.u32(names.length);
  let work = 0;
  for (const seg of segments) {
    for (let doc = 0; doc < seg.size; doc++) {
      const tags = seg.encodedTagsOf(doc);
      out.id(seg.idOf(doc), tags);
      out.bytes(tags);
      if (++work % PAUSE_EVERY === 0) await pause();
    }
  }
  for (const name of names) {
    const fields: [FieldReader, number][] = [];
    segments.forEach((seg, i) => {
      const f = seg.field(name);
      if (f !== undefined) fields.push([f, bases[i]]);
    });
    const terms =
      fields.length === 1
        ? fields[0][0].terms()
        : [...new Set(fields.flatMap(([f]) => f.terms()))].sort();
    out.str(name);
    out.u32(terms.length);
    out.postings(unionOf(fields.map(([f, base]) => shifted(f.docs(), base))));
    for (const term of terms) {
      const parts: Postings[] = [];
      for (const [f, base] of fields) {
        const p = f.postings(term);
        if (p !== undefined) parts.push(shifted(p, base));
      }
      out.str(term);
      out.postings(unionOf(parts));
      if (++work % PAUSE_EVERY === 0) await pause();
    }
  }
  // The segment lives as long as its block: do not keep the buffer's spare room.
  return out.pos < out.buf.length * 0.9
    ? new Uint8Array(out.buf.subarray(0, out.pos))
    : new Uint8Array(out.buf.buffer, out.buf.byteOffset, out.pos);
}

class SealedField implements FieldReader {
  private readonly bytes: Uint8Array;
  private readonly name: string;
  private readonly sorted: string[];
  private readonly at: Int32Array;
  private readonly len: Int32Array;
  private readonly docsAt: number;
  private readonly docsLen: number;

  constructor(
    bytes: Uint8Array,
    name: string,
    terms: string[],
    at: Int32Array,
    len: Int32Array,
    docsAt: number,
    docsLen: number,
  ) {
    this.bytes = bytes;
    this.name = name;
    this.sorted = terms;
    this.at = at;
    this.len = len;
    this.docsAt = docsAt;
    this.docsLen = docsLen;
  }

  terms(): readonly string[] {
    return this.sorted;
  }

  postings(term: string): Postings | undefined {
    const i = lowerBound(this.sorted, term);
    return this.sorted[i] === term ? this.postingsAt(i) : undefined;
  }

  postingsAt(i: number): Postings {
    return this.load(this.at[i], this.len[i], this.sorted[i]);
  }

  docs(): Postings {
    return this.load(this.docsAt, this.docsLen, null);
  }

  private load(at: number, len: number, term: string | null): Postings {
    try {
      return RoaringBitmap32.deserialize(this.bytes.subarray(at, at + len), "portable");
    } catch (err) {
      const what = term === null ? `field ${this.name}` : `${this.name}=${JSON.stringify(term)}`;
      throw new SegmentFormatError(
        `postings of ${what} do not deserialize: ${(err as Error).message}`,
      );
    }
  }
}

export class SealedSegment implements Segment {
  /** The encoded segment (its on-disk form). */
  readonly bytes: Uint8Array;
  private readonly ids: string[];
  private readonly tagAt: Int32Array;
  private readonly tagLen: Int32Array;
  private readonly table: IdTable;
  private readonly names: string[];
  private readonly fields: Map<string, SealedField>;

  private constructor(
    bytes: Uint8Array,
    ids: string[],
    tagAt: Int32Array,
    tagLen: Int32Array,
    table: IdTable,
    fields: Map<string, SealedField>,
  ) {
    this.bytes = bytes;
    this.ids = ids;
    this.tagAt = tagAt;
    this.tagLen = tagLen;
    this.table = table;
    this.fields = fields;
    this.names = [...fields.keys()];
  }

  /**
   * Reads encoded segment bytes, checking their structure; throws
   * SegmentFormatError. `ids`, when the caller has the documents' IDs as
   * strings already (it just encoded them), are used instead of decoding.
   */
  static decode(bytes: Uint8Array, ids?: readonly string[]): SealedSegment {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = buf.length;
    if (end < HEADER_BYTES) {
      throw new SegmentFormatError(`${end} bytes cannot hold the ${HEADER_BYTES}-byte header`);
    }
    for (let i = 0; i < MAGIC.length; i++) {
      if (buf[i] !== MAGIC[i]) {
        throw new SegmentFormatError(`bad magic ${buf.subarray(0, 4).toString("hex")}`);
      }
    }
    const version = buf.readUInt32LE(4);
    if (version !== SEGMENT_FORMAT_VERSION) {
      throw new SegmentFormatError(
        `format version ${version} is not the supported ${SEGMENT_FORMAT_VERSION}`,
      );
    }
    const n = buf.readUInt32LE(8);
    const fieldCount = buf.readUInt32LE(12);
    let pos = HEADER_BYTES;
    /** Skips one length-prefixed run; returns its start. */
    const run = (what: string): number => {
      if (pos + 4 > end) throw new SegmentFormatError(`${what} at byte ${pos} is cut short`);
      const len = buf.readUInt32LE(pos);
      const start = pos + 4;
      if (start + len > end) {
        throw new SegmentFormatError(`${what} at byte ${pos} runs ${len} bytes past the end`);
      }
      pos = start + len;
      return start;
    };
    const text = (what: string): string => {
      const start = run(what);
      return buf.toString("utf8", start, pos);
    };
    // A document needs at least 8 bytes, which bounds a bad count before allocating.
    if (n > (end - pos) / 8) throw new SegmentFormatError(`${n} documents cannot fit`);
    if (ids !== undefined && ids.length !== n) {
      throw new SegmentFormatError(`${n} documents but ${ids.length} IDs given`);
    }
    const docIds: string[] = ids === undefined ? new Array(n) : [...ids];
    const tagAt = new Int32Array(n);
    const tagLen = new Int32Array(n);
    const table = new IdTable(n);
    for (let doc = 0; doc < n; doc++) {
      if (pos + 4 > end) throw new SegmentFormatError(`ID of document ${doc} is cut short`);
      const canonical = buf.readUInt32LE(pos) === CANONICAL_ID;
      let idAt = -1;
      if (canonical) pos += 4;
      else idAt = run(`ID of document ${doc}`);
      const idEnd = pos;
      tagAt[doc] = run(`tags of document ${doc}`);
      tagLen[doc] = pos - tagAt[doc];
      let id: string;
      if (ids !== undefined) id = docIds[doc];
      else if (!canonical) id = buf.toString("utf8", idAt, idEnd);
      else {
        const built = plainCanonicalId(buf, tagAt[doc], tagLen[doc]);
        if (built === null) {
          throw new SegmentFormatError(
            `document ${doc} is marked with its canonical ID but its tags are not plain ASCII`,
          );
        }
        id = built;
      }
      docIds[doc] = id;
      const twin = table.add(doc, docIds);
      if (twin >= 0) throw new SegmentFormatError(`documents ${twin} and ${doc} share ID ${id}`);
    }
    const fields = new Map<string, SealedField>();
    let prevName: string | null = null;
    for (let f = 0; f < fieldCount; f++) {
      const name = text(`name of field ${f}`);
      if (prevName !== null && !(prevName < name)) {
        throw new SegmentFormatError(`field ${JSON.stringify(name)} is out of order`);
      }
      prevName = name;
      if (pos + 4 > end) throw new SegmentFormatError(`term count of ${name} is cut short`);
      const termCount = buf.readUInt32LE(pos);
      pos += 4;
      if (termCount > (end - pos) / 8) {
        throw new SegmentFormatError(`${termCount} terms of ${name} cannot fit`);
      }
      const docsAt = run(`postings of field ${name}`);
      const docsLen = pos - docsAt;
      const terms: string[] = new Array(termCount);
      const at = new Int32Array(termCount);
      const len = new Int32Array(termCount);
      for (let t = 0; t < termCount; t++) {
        terms[t] = text(`term ${t} of ${name}`);
        if (t > 0 && !(terms[t - 1] < terms[t])) {
          throw new SegmentFormatError(
            `term ${JSON.stringify(terms[t])} of ${name} is out of order`,
          );
        }
        at[t] = run(`postings of ${name}=${JSON.stringify(terms[t])}`);
        len[t] = pos - at[t];
      }
      fields.set(name, new SealedField(bytes, name, terms, at, len, docsAt, docsLen));
    }
    if (pos !== end) throw new SegmentFormatError(`${end - pos} bytes follow the last field`);
    return new SealedSegment(bytes, docIds, tagAt, tagLen, table, fields);
  }

  /**
   * Seals segments (see encodeSegments) into a sealed segment that keeps
   * their ID strings rather than decoding its own.
   */
  static async seal(
    segments: readonly Segment[],
    pause?: () => Promise<void>,
  ): Promise<SealedSegment> {
    const bytes = await encodeSegments(segments, pause);
    const ids: string[] = [];
    for (const seg of segments) for (let d = 0; d < seg.size; d++) ids.push(seg.idOf(d));
    return SealedSegment.decode(bytes, ids);
  }

  get size(): number {
    return this.ids.length;
  }

  idOf(doc: number): string {
    return this.ids[doc];
  }

  tagsOf(doc: number): Tag[] {
    return decodeTags(this.encodedTagsOf(doc));
  }

  encodedTagsOf(doc: number): Uint8Array {
    return this.bytes.subarray(this.tagAt[doc], this.tagAt[doc] + this.tagLen[doc]);
  }

  docOf(id: string): number | undefined {
    return this.table.get(id, this.ids);
  }

  all(): Postings {
    return RoaringBitmap32.fromRange(0, this.ids.length);
  }

  fieldNames(): readonly string[] {
    return this.names;
  }

  field(name: string): FieldReader | undefined {
    return this.fields.get(name);
  }
}
