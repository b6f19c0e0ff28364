// What a query reads from an index segment, whether it still takes inserts
// (MutableSegment) or was sealed (SealedSegment): documents (a series ID and
// its tags) numbered from 0, and per field (tag name) a term dictionary in
// code-unit order whose every term (tag value) has a postings list, the
// roaring bitmap of the documents holding that field = term.
import roaring from "roaring";
import type { Tag } from "../x/index.js";

export const { RoaringBitmap32 } = roaring;
export type Postings = InstanceType<typeof RoaringBitmap32>;

/** One field's terms and their postings. Postings returned may be shared: clone before changing them. */
export interface FieldReader {
  /** Every term, in code-unit order. */
  terms(): readonly string[];
  /** The postings of a term, or undefined when no document has it. */
  postings(term: string): Postings | undefined;
  /** The postings of the i-th term of terms(). */
  postingsAt(i: number): Postings;
  /** Every document holding the field. */
  docs(): Postings;
}

export interface Segment {
  /** Number of documents. */
  readonly size: number;
  idOf(doc: number): string;
  /** A document's tags, decoded (sorted by name, as series tags are). */
  tagsOf(doc: number): Tag[];
  /** A document's tags in M3's tag encoding, as stored (a view: copy to keep). */
  encodedTagsOf(doc: number): Uint8Array;
  /** The document number of a series, if it is here. */
  docOf(id: string): number | undefined;
  /** Every document, as a new bitmap. */
  all(): Postings;
  /** Field names in code-unit order. */
  fieldNames(): readonly string[];
  field(name: string): FieldReader | undefined;
}

/**
 * The terms of a sorted list that start with `prefix`: they form one
 * contiguous run in code-unit order, found by binary search.
 */
export function prefixRange(sorted: readonly string[], prefix: string): [number, number] {
  if (prefix === "") return [0, sorted.length];
  const from = lowerBound(sorted, prefix);
  let end = from;
  while (end < sorted.length && sorted[end].startsWith(prefix)) end++;
  return [from, end];
}

/** The first position in a sorted list whose string is not below `s`. */
export function lowerBound(sorted: readonly string[], s: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
