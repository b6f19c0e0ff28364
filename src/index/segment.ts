// An in-memory index segment: documents (a series ID and its tags) numbered
// from 0 in insertion order, and per field (tag name) a term dictionary
// whose every term (tag value) has a postings list: the roaring bitmap of the
// documents holding that field = term. Terms are kept sorted lazily, so that
// a regex with a literal prefix scans only the matching range.
import roaring from "roaring";
import { decodeTags, encodedTagsLength, encodeTagsInto, type Tag } from "../x/index.js";

const { RoaringBitmap32 } = roaring;
/** Bytes per chunk of the arena holding documents' encoded tags. */
const ARENA_CHUNK_BYTES = 1 << 20;
export type Postings = InstanceType<typeof RoaringBitmap32>;

/** One field's terms and their postings. */
export interface FieldTerms {
  readonly postings: Map<string, Postings>;
  /** Every term in code-unit order; rebuilt on read after new terms arrive. */
  sorted: string[] | null;
  /** Every document holding the field (union of its postings). */
  readonly docs: Postings;
}

export class Segment {
  /** Document number → series ID. */
  readonly ids: string[] = [];
  // Document number → its encoded tags in a shared arena (chunk, offset,
  // length): a few bytes per document instead of arrays of strings; results
  // decode them (tagsOf).
  private tagChunk = new Int32Array(1024);
  private tagOffset = new Int32Array(1024);
  private tagLength = new Int32Array(1024);
  private readonly arena: Uint8Array[] = [new Uint8Array(ARENA_CHUNK_BYTES)];
  private arenaUsed = 0;
  private readonly byId = new Map<string, number>();
  private readonly fields = new Map<string, FieldTerms>();
  private readonly everything: Postings = new RoaringBitmap32();

  /** Number of documents. */
  get size(): number {
    return this.ids.length;
  }

  /** Adds a series unless present; returns its document number. */
  insert(id: string, tags: readonly Tag[]): number {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const doc = this.addDoc(id);
    this.storeTags(doc, tags);
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
    const tags = decodeTags(encodedTags);
    const doc = this.addDoc(id);
    this.storeEncoded(doc, encodedTags);
    this.addPostings(doc, tags);
    return doc;
  }

  private addDoc(id: string): number {
    const doc = this.ids.length;
    this.ids.push(id);
    this.byId.set(id, doc);
    this.everything.add(doc);
    if (doc === this.tagChunk.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.tagChunk = grow(this.tagChunk);
      this.tagOffset = grow(this.tagOffset);
      this.tagLength = grow(this.tagLength);
    }
    return doc;
  }

  private addPostings(doc: number, tags: readonly Tag[]): void {
    for (const [name, value] of tags) {
      let field = this.fields.get(name);
      if (field === undefined) {
        field = { postings: new Map(), sorted: null, docs: new RoaringBitmap32() };
        this.fields.set(name, field);
      }
      let postings = field.postings.get(value);
      if (postings === undefined) {
        postings = new RoaringBitmap32();
        field.postings.set(value, postings);
        field.sorted = null;
      }
      postings.add(doc);
      field.docs.add(doc);
    }
  }

  /** A document's tags, decoded (sorted by name, as series tags are). */
  tagsOf(doc: number): Tag[] {
    const start = this.tagOffset[doc];
    return decodeTags(this.arena[this.tagChunk[doc]].subarray(start, start + this.tagLength[doc]));
  }

  private storeTags(doc: number, tags: readonly Tag[]): void {
    const n = encodedTagsLength(tags);
    const [chunk, at] = this.reserve(n);
    encodeTagsInto(tags, this.arena[chunk], at);
    this.place(doc, chunk, at, n);
  }

  private storeEncoded(doc: number, encoded: Uint8Array): void {
    const [chunk, at] = this.reserve(encoded.length);
    this.arena[chunk].set(encoded, at);
    this.place(doc, chunk, at, encoded.length);
  }

  /** Room for `n` bytes in the arena: [chunk, offset]. */
  private reserve(n: number): [number, number] {
    let chunk = this.arena.length - 1;
    if (this.arenaUsed + n > this.arena[chunk].length) {
      this.arena.push(new Uint8Array(Math.max(ARENA_CHUNK_BYTES, n)));
      chunk++;
      this.arenaUsed = 0;
    }
    const at = this.arenaUsed;
    this.arenaUsed += n;
    return [chunk, at];
  }

  private place(doc: number, chunk: number, at: number, n: number): void {
    this.tagChunk[doc] = chunk;
    this.tagOffset[doc] = at;
    this.tagLength[doc] = n;
  }

  /** The document number of a series, if indexed here. */
  docOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** Every document. */
  all(): Postings {
    return this.everything;
  }

  field(name: string): FieldTerms | undefined {
    return this.fields.get(name);
  }

  /** Field names in code-unit order. */
  fieldNames(): string[] {
    return [...this.fields.keys()].sort();
  }

  /** A field's terms in code-unit order. */
  sortedTerms(field: FieldTerms): string[] {
    if (field.sorted === null) field.sorted = [...field.postings.keys()].sort();
    return field.sorted;
  }
}

/**
 * The terms of a sorted list that start with `prefix`: they form one
 * contiguous run in code-unit order, found by binary search.
 */
export function prefixRange(sorted: readonly string[], prefix: string): [number, number] {
  if (prefix === "") return [0, sorted.length];
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < prefix) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < sorted.length && sorted[end].startsWith(prefix)) end++;
  return [lo, end];
}
