// The segment that takes inserts. Inserting stays in plain JavaScript: a
// new document's number is appended to a small typed-array run per term, and
// runs reach the term's roaring bitmap in one call (addMany) when they fill
// or when a query reads the term, rather than one native call per tag.
// Encoded tags are read in place: a field or value whose bytes equal the
// previous series' is found without building a string (series arrive in
// runs sharing a job, an instance, a metric name).
import {
  decodeTags,
  encodedTagsLength,
  encodeTagsInto,
  TAG_ENCODING_MAGIC,
  type Tag,
} from "../x/index.js";
import { type FieldReader, type Postings, RoaringBitmap32, type Segment } from "./segment.js";

/** Bytes per chunk of the arena holding documents' encoded tags. */
const ARENA_CHUNK_BYTES = 1 << 20;
/** Documents a term collects before they move into its bitmap. */
const RUN_MAX = 1024;

/** A term's documents: those in `bits` and `n` more in `run`, all ascending. */
class TermDocs {
  bits: Postings | null = null;
  run = new Uint32Array(4);
  n = 0;

  add(doc: number): void {
    if (this.n === this.run.length) {
      if (this.n < RUN_MAX) {
        const grown = new Uint32Array(this.n * 2);
        grown.set(this.run);
        this.run = grown;
      } else {
        this.settle();
      }
    }
    this.run[this.n++] = doc;
  }

  /** Moves the run into the bitmap; returns the bitmap (shared: clone to change). */
  settle(): Postings {
    this.bits ??= new RoaringBitmap32();
    if (this.n > 0) {
      this.bits.addMany(this.run.subarray(0, this.n));
      this.n = 0;
    }
    return this.bits;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Node's Latin-1 decoding of a byte range, which takes any Uint8Array: for ASCII it is UTF-8's. */
const latin1Slice = (
  Buffer.prototype as unknown as {
    latin1Slice(this: Uint8Array, start: number, end: number): string;
  }
).latin1Slice;

/** Throws the InvalidTagsError that says what is wrong with `bytes`. */
function refuse(bytes: Uint8Array): never {
  decodeTags(bytes);
  throw new Error(`assertion: encoded tags refused here but accepted by decodeTags`);
}

/** A string from UTF-8 bytes; malformed UTF-8 raises InvalidTagsError (for the tags in `bytes`). */
function text(bytes: Uint8Array, at: number, len: number): string {
  if (len <= 64) {
    let ascii = true;
    for (let i = at; i < at + len; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return latin1Slice.call(bytes, at, at + len);
  }
  try {
    return utf8.decode(bytes.subarray(at, at + len));
  } catch {
    refuse(bytes);
  }
}

/** Whether `a` holds the `len` bytes of `b` from `at`. */
function sameBytes(a: Uint8Array, b: Uint8Array, at: number, len: number): boolean {
  if (a.length !== len) return false;
  for (let i = 0; i < len; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

class MutableField implements FieldReader {
  /** The name's bytes, for recognising the field in encoded tags. */
  readonly nameBytes: Uint8Array;
  readonly byTerm = new Map<string, TermDocs>();
  readonly withField = new TermDocs();
  private sorted: string[] | null = null;
  /** The last term added, and its bytes (a view of the tag arena). */
  private last: TermDocs | null = null;
  private lastBytes: Uint8Array = new Uint8Array(0);

  constructor(nameBytes: Uint8Array) {
    this.nameBytes = nameBytes;
  }

  addTerm(term: string, doc: number): void {
    this.termDocs(term).add(doc);
    this.withField.add(doc);
  }

  /** The term last added, if its UTF-8 is the `len` bytes of `bytes` from `at`. */
  lastIf(bytes: Uint8Array, at: number, len: number): TermDocs | null {
    const t = this.last;
    return t !== null && sameBytes(this.lastBytes, bytes, at, len) ? t : null;
  }

  /**
   * Adds `doc` under `t` or, when null, under the term `term`, whose UTF-8
   * is the `len` bytes of `bytes` from `at` (held for good).
   */
  add(t: TermDocs | null, term: string, bytes: Uint8Array, at: number, len: number, doc: number) {
    if (t === null) {
      t = this.termDocs(term);
      this.last = t;
      this.lastBytes = bytes.subarray(at, at + len);
    }
    t.add(doc);
    this.withField.add(doc);
  }

  private termDocs(term: string): TermDocs {
    let t = this.byTerm.get(term);
    if (t === undefined) {
      t = new TermDocs();
      this.byTerm.set(term, t);
      this.sorted = null;
    }
    return t;
  }

  terms(): readonly string[] {
    this.sorted ??= [...this.byTerm.keys()].sort();
    return this.sorted;
  }

  postings(term: string): Postings | undefined {
    return this.byTerm.get(term)?.settle();
  }

  postingsAt(i: number): Postings {
    return (this.byTerm.get(this.terms()[i]) as TermDocs).settle();
  }

  docs(): Postings {
    return this.withField.settle();
  }
}

export class MutableSegment implements Segment {
  private readonly ids: string[] = [];
  // Document number → its encoded tags in a shared arena (chunk, offset,
  // length): a few bytes per document instead of arrays of strings.
  private tagChunk = new Int32Array(1024);
  private tagOffset = new Int32Array(1024);
  private tagLength = new Int32Array(1024);
  private readonly arena: Uint8Array[] = [new Uint8Array(ARENA_CHUNK_BYTES)];
  private arenaUsed = 0;
  private readonly byId = new Map<string, number>();
  private readonly fields = new Map<string, MutableField>();
  private sortedFields: string[] | null = null;
  /** The field last seen at each tag position of encoded tags. */
  private readonly fieldAt: (MutableField | undefined)[] = [];
  // insertEncoded's per-tag scratch: name and value offsets and lengths,
  // the field and term found (null: new), and the strings of new ones.
  private at = new Int32Array(64);
  private readonly foundField: (MutableField | null)[] = [];
  private readonly foundTerm: (TermDocs | null)[] = [];
  private readonly newName: string[] = [];
  private readonly newValue: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  /** Adds a series unless present; returns its document number. */
  insert(id: string, tags: readonly Tag[]): number {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const n = encodedTagsLength(tags);
    const doc = this.addDoc(id, n);
    encodeTagsInto(tags, this.arena[this.tagChunk[doc]], this.tagOffset[doc]);
    this.addPostings(doc, tags);
    return doc;
  }

  /**
   * Adds a series given its encoded tags (as series tables hold them) unless
   * present: the bytes are copied as they are, and decoded only for a new
   * series.
   */
  insertEncoded(id: string, encodedTags: Uint8Array): number {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    return this.addEncoded(id, encodedTags);
  }

  /**
   * Adds a series the caller knows is not here (insertEncoded without the
   * lookup); returns its document number.
   */
  addEncoded(id: string, encodedTags: Uint8Array): number {
    // Two passes, so that bad tags are refused before anything of the series
    // is added. The first checks the structure and finds each tag's field
    // and term, decoding only bytes not seen in the previous series (where a
    // malformed UTF-8 sequence would fail); the second adds the document.
    const src = encodedTags;
    const n = src.length;
    if (n < 4 || (src[0] | (src[1] << 8)) !== TAG_ENCODING_MAGIC) refuse(src);
    const count = src[2] | (src[3] << 8);
    if (this.at.length < 4 * count) this.at = new Int32Array(8 * count);
    const at = this.at;
    let p = 4;
    for (let i = 0; i < count; i++) {
      if (p + 2 > n) refuse(src);
      const nameLen = src[p] | (src[p + 1] << 8);
      const nameAt = p + 2;
      p = nameAt + nameLen;
      if (nameLen === 0 || p + 2 > n) refuse(src);
      const valueLen = src[p] | (src[p + 1] << 8);
      const valueAt = p + 2;
      p = valueAt + valueLen;
      if (p > n) refuse(src);
      at[4 * i] = nameAt;
      at[4 * i + 1] = nameLen;
      at[4 * i + 2] = valueAt;
      at[4 * i + 3] = valueLen;
      let field: MutableField | undefined = this.fieldAt[i];
      if (field === undefined || !sameBytes(field.nameBytes, src, nameAt, nameLen)) {
        const name = text(src, nameAt, nameLen);
        field = this.fields.get(name);
        this.newName[i] = name;
      }
      this.foundField[i] = field ?? null;
      const term = field?.lastIf(src, valueAt, valueLen) ?? null;
      this.foundTerm[i] = term;
      if (term === null) this.newValue[i] = text(src, valueAt, valueLen);
    }
    if (p !== n) refuse(src);

    const doc = this.addDoc(id, n);
    const bytes = this.arena[this.tagChunk[doc]];
    const start = this.tagOffset[doc];
    bytes.set(src, start);
    // Views of the arena's copy stay valid for the segment's life.
    for (let i = 0; i < count; i++) {
      let field = this.foundField[i];
      if (field === null || field !== this.fieldAt[i]) {
        field ??= this.fieldNamed(this.newName[i], bytes, start + at[4 * i], at[4 * i + 1]);
        this.fieldAt[i] = field;
      }
      field.add(
        this.foundTerm[i],
        this.newValue[i],
        bytes,
        start + at[4 * i + 2],
        at[4 * i + 3],
        doc,
      );
    }
    return doc;
  }

  /** The field called `name`, whose UTF-8 is `len` bytes of `bytes` from `at` (held for good). */
  private fieldNamed(name: string, bytes: Uint8Array, at: number, len: number): MutableField {
    let field = this.fields.get(name);
    if (field === undefined) {
      field = new MutableField(bytes.subarray(at, at + len));
      this.fields.set(name, field);
      this.sortedFields = null;
    }
    return field;
  }

  /** Numbers a new document and reserves `tagBytes` of arena for its tags. */
  private addDoc(id: string, tagBytes: number): number {
    const doc = this.ids.length;
    this.ids.push(id);
    this.byId.set(id, doc);
    if (doc === this.tagChunk.length) {
      this.tagChunk = grow(this.tagChunk);
      this.tagOffset = grow(this.tagOffset);
      this.tagLength = grow(this.tagLength);
    }
    let chunk = this.arena.length - 1;
    if (this.arenaUsed + tagBytes > this.arena[chunk].length) {
      this.arena.push(new Uint8Array(Math.max(ARENA_CHUNK_BYTES, tagBytes)));
      chunk++;
      this.arenaUsed = 0;
    }
    this.tagChunk[doc] = chunk;
    this.tagOffset[doc] = this.arenaUsed;
    this.tagLength[doc] = tagBytes;
    this.arenaUsed += tagBytes;
    return doc;
  }

  private addPostings(doc: number, tags: readonly Tag[]): void {
    const names = this.arena[this.tagChunk[doc]];
    let p = this.tagOffset[doc] + 4;
    for (let i = 0; i < tags.length; i++) {
      const nameLen = names[p] | (names[p + 1] << 8);
      const field = this.fieldNamed(tags[i][0], names, p + 2, nameLen);
      p += 2 + nameLen;
      p += 2 + (names[p] | (names[p + 1] << 8));
      field.addTerm(tags[i][1], doc);
    }
  }

  idOf(doc: number): string {
    return this.ids[doc];
  }

  tagsOf(doc: number): Tag[] {
    return decodeTags(this.encodedTagsOf(doc));
  }

  encodedTagsOf(doc: number): Uint8Array {
    const start = this.tagOffset[doc];
    return this.arena[this.tagChunk[doc]].subarray(start, start + this.tagLength[doc]);
  }

  docOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  all(): Postings {
    return RoaringBitmap32.fromRange(0, this.ids.length);
  }

  fieldNames(): readonly string[] {
    this.sortedFields ??= [...this.fields.keys()].sort();
    return this.sortedFields;
  }

  field(name: string): MutableField | undefined {
    return this.fields.get(name);
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
